import { describe, expect, it } from 'vitest';
import {
  PASSWORD_TOO_COMMON,
  PASSWORD_CHECKED_CHARACTERS,
  PASSWORD_TOO_COMMON_MESSAGE,
  isPasswordTooCommon,
  passwordChangeBodyCheckedSchema,
  registerBodyCheckedSchema,
} from '../src/password-strength.js';
import {
  PASSWORD_UNCHANGED,
  PASSWORD_UNCHANGED_MESSAGE,
  passwordChangeBodySchema,
} from '../src/schemas/auth.js';

const body = { username: 'alice', displayName: 'Alice', password: 'correct horse battery' };

describe('the common-password rule of registration', () => {
  it.each([
    'password',
    '12345678',
    '        ',
    'Password1!',
    'qwertyuiop',
    'iloveyou123',
    'aaaaaaaaaa',
    // Compatibility forms of a listed password: full-width letters and digits (NFKC folds them).
    'ＰＡＳＳＷＯＲＤ',
    '１２３４５６７８',
  ])('refuses %j', (password) => {
    expect(isPasswordTooCommon(password)).toBe(true);
    const parsed = registerBodyCheckedSchema.safeParse({ ...body, password });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        code: 'custom',
        path: ['password'],
        message: PASSWORD_TOO_COMMON_MESSAGE,
        params: { rule: PASSWORD_TOO_COMMON },
      }),
    ]);
  });

  it('refuses a password made of the account’s own username', () => {
    expect(isPasswordTooCommon('zorblax7731')).toBe(false);
    expect(isPasswordTooCommon('zorblax7731', ['zorblax7731'])).toBe(true);
    expect(
      registerBodyCheckedSchema.safeParse({ ...body, username: 'zorblax7731', password: 'zorblax7731' })
        .success,
    ).toBe(false);
  });

  // The passwords the server tests and the end-to-end tests register with must stay allowed.
  it.each(['correct horse battery', 'correct horse battery staple', 'correct horse', 'long enough'])(
    'accepts %j',
    (password) => {
      expect(isPasswordTooCommon(password)).toBe(false);
      expect(registerBodyCheckedSchema.parse({ ...body, password })).toEqual({ ...body, password });
    },
  );

  it('leaves the length rules to the base schema: a short password gets only the length issue', () => {
    const parsed = registerBodyCheckedSchema.safeParse({ ...body, password: 'short' });
    expect(parsed.error?.issues.map((issue) => issue.code)).toEqual(['too_small']);
  });
});

describe('the common-password rule of a password change', () => {
  const change = { currentPassword: 'correct horse battery', newPassword: 'lantern orchard meridian' };

  it('puts the issue on newPassword and counts the account’s own words, given per account', () => {
    const schema = passwordChangeBodyCheckedSchema(['zorblax7731', 'Zorblax']);
    expect(schema.parse(change)).toEqual(change);
    for (const newPassword of ['Password1!', 'zorblax7731']) {
      expect(schema.safeParse({ ...change, newPassword }).error?.issues).toEqual([
        expect.objectContaining({ path: ['newPassword'], params: { rule: PASSWORD_TOO_COMMON } }),
      ]);
    }
    // Without the account's words its username is just an unusual string.
    expect(
      passwordChangeBodyCheckedSchema([]).safeParse({ ...change, newPassword: 'zorblax7731' }).success,
    ).toBe(true);
  });

  it('leaves the length rules to the base schema', () => {
    const parsed = passwordChangeBodyCheckedSchema([]).safeParse({ ...change, newPassword: 'short' });
    expect(parsed.error?.issues.map((issue) => issue.code)).toEqual(['too_small']);
  });
});

describe('the cost of the rule', () => {
  // It runs on the server's main thread: a 256-character password of repeated dates took 1.1 s with
  // Levenshtein matching. Bounded by reading the first PASSWORD_CHECKED_CHARACTERS only.
  it('reads the first PASSWORD_CHECKED_CHARACTERS of a password and no more', () => {
    const weakHead = 'password'.repeat(PASSWORD_CHECKED_CHARACTERS / 8);
    const strongTail = ' and then kT9#qLm2$vX8 lantern orchard meridian';
    expect(isPasswordTooCommon(strongTail)).toBe(false);
    // Read whole, the strong tail would make it strong; only the head is read.
    expect(isPasswordTooCommon(weakHead + strongTail)).toBe(true);
    expect(isPasswordTooCommon(strongTail + weakHead)).toBe(false);
  });
});

describe('the account’s own words', () => {
  it.each(['QuintessaMarlowe', 'quintessa marlowe'])(
    'counts a display name whole, without its spaces and word by word: %j',
    (password) => {
      expect(isPasswordTooCommon(password)).toBe(false);
      expect(isPasswordTooCommon(password, ['zq_user', 'Quintessa Marlowe'])).toBe(true);
    },
  );
});

describe('a new password that is the current one', () => {
  it('is refused on newPassword, naming its rule', () => {
    const parsed = passwordChangeBodySchema.safeParse({
      currentPassword: 'lantern orchard',
      newPassword: 'lantern orchard',
    });
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['newPassword'],
        message: PASSWORD_UNCHANGED_MESSAGE,
        params: { rule: PASSWORD_UNCHANGED },
      }),
    ]);
    expect(
      passwordChangeBodyCheckedSchema([]).safeParse({
        currentPassword: 'lantern orchard',
        newPassword: 'lantern orchard',
      }).success,
    ).toBe(false);
  });
});
