import {
  PASSWORD_TOO_COMMON,
  PASSWORD_TOO_COMMON_MESSAGE,
  PASSWORD_UNCHANGED,
  PASSWORD_UNCHANGED_MESSAGE,
  type ErrorIssue,
  type TextRule,
} from '@parley/shared';
import { nextTick, reactive, ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { z } from 'zod';
import { isApiRequestError } from '@/api/http';
import type { MessageSchema } from '@/i18n/en';
import { errorKeyFor } from '@/i18n/errors';

type Issue = z.core.$ZodIssue;

const HTTP_CONTEXTS: ReadonlySet<string> = new Set(['body', 'querystring', 'params']);

/**
 * Words for each shared text rule (packages/shared/src/schemas/text.ts, named in a `custom` issue's
 * `params.rule`); a rule added there fails the type check here until it has words.
 */
const TEXT_RULE_KEYS: Record<TextRule, `validation.${keyof MessageSchema['validation']}`> = {
  visible: 'validation.invisible',
  name_characters: 'validation.nameCharacters',
  well_formed: 'validation.wellFormed',
};

/** Server messages of shared rules the form may not have checked first, in the reader's words. */
const SERVER_MESSAGE_KEYS: Partial<Record<string, `validation.${keyof MessageSchema['validation']}`>> = {
  [PASSWORD_TOO_COMMON_MESSAGE]: 'validation.passwordTooCommon',
  [PASSWORD_UNCHANGED_MESSAGE]: 'validation.passwordUnchanged',
};

function isTextRule(rule: unknown): rule is TextRule {
  return typeof rule === 'string' && Object.hasOwn(TEXT_RULE_KEYS, rule);
}

/** Puts the cursor in the first field that needs fixing, so keyboard and screen-reader users land on it. */
export async function focusFirstInvalid(form: HTMLElement | null): Promise<void> {
  await nextTick();
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

/**
 * Field errors for a form validated with a shared schema: zod issues become translated words,
 * and the server's issues (for rules only it can check) are shown as it sent them.
 */
export function useFormErrors<Field extends string>(fields: readonly Field[]) {
  const { t } = useI18n();
  const fieldErrors = reactive(Object.fromEntries(fields.map((field) => [field, '']))) as Record<
    Field,
    string
  >;
  const formError = reactive({ message: '' });

  function describe(issue: Issue): string {
    switch (issue.code) {
      case 'too_small':
        return Number(issue.minimum) <= 1
          ? t('validation.required')
          : t('validation.minLength', { min: Number(issue.minimum) });
      case 'too_big':
        return issue.origin === 'array'
          ? t('validation.tooManyMembers', { max: Number(issue.maximum) })
          : t('validation.maxLength', { max: Number(issue.maximum) });
      case 'invalid_format':
        return t('validation.usernameFormat');
      case 'custom': {
        // The shared rules name themselves in params.rule: the text rules and the password-strength rule.
        const rule: unknown = issue.params?.rule;
        if (rule === PASSWORD_TOO_COMMON) return t('validation.passwordTooCommon');
        if (rule === PASSWORD_UNCHANGED) return t('validation.passwordUnchanged');
        if (isTextRule(rule)) return t(TEXT_RULE_KEYS[rule]);
        return t('validation.invalid');
      }
      default:
        return t('validation.invalid');
    }
  }

  function isField(value: string): value is Field {
    return (fields as readonly string[]).includes(value);
  }

  function clear(): void {
    for (const field of fields) fieldErrors[field] = '';
    formError.message = '';
  }

  function clearField(field: Field): void {
    fieldErrors[field] = '';
  }

  /** Shows the first problem of each field; returns whether there was any. */
  function showIssues(issues: readonly Issue[]): boolean {
    clear();
    for (const issue of issues) {
      const field = String(issue.path[0] ?? '');
      if (isField(field) && !fieldErrors[field]) fieldErrors[field] = describe(issue);
    }
    return issues.length > 0;
  }

  /** HTTP issue paths start with where the field was (`body.password`); socket ones do not. */
  function fieldOf(path: string): string {
    const [first = '', second = ''] = path.split('.');
    return HTTP_CONTEXTS.has(first) ? second : first;
  }

  function showServerIssues(issues: readonly ErrorIssue[]): void {
    for (const issue of issues) {
      const field = fieldOf(issue.path);
      if (!isField(field) || fieldErrors[field]) continue;
      // A rule the form could not check first (its module had not loaded) still gets translated words.
      fieldErrors[field] = SERVER_MESSAGE_KEYS[issue.message]
        ? t(SERVER_MESSAGE_KEYS[issue.message]!)
        : issue.message;
    }
  }

  /** A failed request: its code in words at the form level, its issues next to their fields. */
  function showError(error: unknown, fieldForCode?: Partial<Record<string, Field>>): void {
    clear();
    const message = t(errorKeyFor(error));
    const field = isApiRequestError(error) ? fieldForCode?.[error.code] : undefined;
    if (field) fieldErrors[field] = message;
    else formError.message = message;
    if (isApiRequestError(error)) showServerIssues(error.issues);
  }

  return { fieldErrors, formError, clear, clearField, showIssues, showError };
}

export interface SchemaSubmitOptions<Field extends string> {
  /** Error codes that belong next to a field rather than above the button. */
  fieldForCode?: Partial<Record<string, Field>>;
  onError?: (error: unknown) => void;
}

/**
 * A form validated with a shared schema and submitted once at a time. Invalid input and refused
 * requests show their errors by the fields (or above the button), and the cursor goes to the
 * first field that needs fixing. Bind `form` with `ref="form"`.
 */
export function useSchemaForm<Field extends string>(fields: readonly Field[]) {
  const errors = useFormErrors(fields);
  const submitting = ref(false);
  const form = ref<HTMLFormElement | null>(null);

  async function submit<T>(
    schema: z.ZodType<T>,
    input: unknown,
    action: (data: T) => Promise<void>,
    options: SchemaSubmitOptions<Field> = {},
  ): Promise<void> {
    if (submitting.value) return;
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      errors.showIssues(parsed.error.issues);
      void focusFirstInvalid(form.value);
      return;
    }
    errors.clear();
    submitting.value = true;
    try {
      await action(parsed.data);
    } catch (error) {
      errors.showError(error, options.fieldForCode);
      options.onError?.(error);
      void focusFirstInvalid(form.value);
    } finally {
      submitting.value = false;
    }
  }

  return { errors, submitting, form, submit };
}
