import { PASSWORD_TOO_COMMON_MESSAGE, registerBodySchema } from '@parley/shared';
import { registerBodyCheckedSchema } from '@parley/shared/password-strength';
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { ApiRequestError } from '@/api/http';
import { useFormErrors } from '@/composables/useFormErrors';
import { i18n, setLocale } from '@/i18n';

function formErrors() {
  let errors!: ReturnType<typeof useFormErrors<'username' | 'displayName' | 'password'>>;
  mount(
    defineComponent({
      setup() {
        errors = useFormErrors(['username', 'displayName', 'password'] as const);
        return () => null;
      },
    }),
    { global: { plugins: [i18n] } },
  );
  return errors;
}

const body = { username: 'alice', displayName: 'Alice' };

describe('registration form errors for a common password', () => {
  it('puts the shared rule in words by the password field, in each language', () => {
    const parsed = registerBodyCheckedSchema.safeParse({ ...body, password: '12345678' });
    expect(parsed.success).toBe(false);
    for (const [locale, words] of [
      ['en', 'This password is too common or too easy to guess. Choose another.'],
      ['zh-CN', '该密码太常见或太容易被猜到，请换一个。'],
    ] as const) {
      setLocale(locale);
      const errors = formErrors();
      errors.showIssues(parsed.error!.issues);
      expect(errors.fieldErrors).toEqual({ username: '', displayName: '', password: words });
    }
    setLocale('en');
  });

  it('shows the server’s refusal by the password field in the same words when the form could not check first', () => {
    // The base schema (what the form uses until the dictionaries load) lets it through.
    expect(registerBodySchema.safeParse({ ...body, password: '12345678' }).success).toBe(true);
    const errors = formErrors();
    errors.showError(
      new ApiRequestError('request/invalid', `body.password: ${PASSWORD_TOO_COMMON_MESSAGE}`, 400, [
        { path: 'body.password', message: PASSWORD_TOO_COMMON_MESSAGE },
      ]),
    );
    expect(errors.fieldErrors.password).toBe(
      'This password is too common or too easy to guess. Choose another.',
    );
    expect(errors.formError.message).toBe('Some fields need attention.');
  });

  it('shows other server issues of an HTTP body by their field as sent', () => {
    const errors = formErrors();
    errors.showError(
      new ApiRequestError('request/invalid', 'body.username: is odd', 400, [
        { path: 'body.username', message: 'is odd' },
      ]),
    );
    expect(errors.fieldErrors.username).toBe('is odd');
  });
});

describe('form errors for the shared text rules', () => {
  it('puts a lone surrogate (the well_formed rule) in words by its field, in each language', () => {
    // Half of 😀 (U+1F600 is "\ud83d\ude00"): what a copy cut in the middle of an emoji leaves.
    const parsed = registerBodySchema.safeParse({
      ...body,
      displayName: 'Alice \ud83d',
      password: 'a long enough pass',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ code: 'custom', params: { rule: 'well_formed' } });
    for (const [locale, words] of [
      [
        'en',
        'This text contains a broken character (half of an emoji or symbol, often left by copying). Delete it or type it again.',
      ],
      ['zh-CN', '文本中有损坏的字符（半个表情符号或符号，常因复制产生），请删除后重新输入。'],
    ] as const) {
      setLocale(locale);
      const errors = formErrors();
      errors.showIssues(parsed.error!.issues);
      expect(errors.fieldErrors).toEqual({ username: '', displayName: words, password: '' });
    }
    setLocale('en');
  });

  it.each([
    ['\u200b', 'Type at least one visible character; spaces and invisible characters alone do not count.'],
    ['Al\u202eice', 'Names cannot contain line breaks, control characters or text-direction controls.'],
  ])('words the other text rules as before (display name %j)', (displayName, words) => {
    const errors = formErrors();
    const parsed = registerBodySchema.safeParse({ ...body, displayName, password: 'a long enough pass' });
    errors.showIssues(parsed.error!.issues);
    expect(errors.fieldErrors.displayName).toBe(words);
  });
});
