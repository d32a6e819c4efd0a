/**
 * The "not a common password" rule of registration, shared by the server (which enforces it) and the
 * web app (which loads this module lazily, on the registration page only: the dictionaries weigh
 * about 400 kB, too much for the main bundle).
 *
 * NIST SP 800-63B 5.1.1.2 and OWASP's Authentication Cheat Sheet ask to refuse passwords found in
 * lists of commonly used or compromised values, rather than to impose composition rules. zxcvbn-ts
 * (a maintained TypeScript port of Dropbox's zxcvbn) checks against its common-password list and
 * also catches what a plain list misses: repeats (eight spaces), keyboard walks, sequences and
 * near-misses of listed passwords ("Password1!").
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { z } from 'zod';
import {
  PASSWORD_TOO_COMMON,
  PASSWORD_TOO_COMMON_MESSAGE,
  passwordChangeBodySchema,
  registerBodySchema,
} from './schemas/auth.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './schemas/users.js';

/**
 * zxcvbn's score (0 to 4) a new password must reach. 2 means at least about 10^6 guesses, far more
 * than the login rate limits let anyone try; 0 and 1 are the listed, repeated and trivial ones.
 */
export const PASSWORD_SCORE_MIN = 2;

/** How much of a password the rule reads: the rest of a longer one adds guesses, never takes any. */
export const PASSWORD_CHECKED_CHARACTERS = 64;

export { PASSWORD_TOO_COMMON, PASSWORD_TOO_COMMON_MESSAGE };

let checker: ZxcvbnFactory | null = null;

/**
 * Whether `password` is on the common-password list or otherwise trivially guessable. `related`
 * are the account's own words (username, display name), which count as guessable too.
 */
export function isPasswordTooCommon(password: string, related: string[] = []): boolean {
  checker ??= new ZxcvbnFactory({
    dictionary: { ...dictionary },
    graphs: adjacencyGraphs,
    // The check runs on the server's main thread, for anyone who may register or change a
    // password, so its cost is bounded. Its Levenshtein matching took up to 1.1 s for a 256-character
    // password of repeated dates (0.5 s at 64 characters); without it, and reading the first 64
    // characters, the worst input found took 62 ms. Near-misses such as "Password1!" are still
    // found by the capitalisation and l33t matching (test/password-strength.test.ts).
    maxLength: PASSWORD_CHECKED_CHARACTERS,
  });
  // NFKC first (as NIST SP 800-63B 5.1.1.2 asks of passwords): full-width "ＰＡＳＳＷＯＲＤ" is "PASSWORD".
  return checker.check(password.normalize('NFKC'), relatedWords(related)).score < PASSWORD_SCORE_MIN;
}

/**
 * The account's words as zxcvbn should know them: each whole, without its spaces and word by word,
 * so "Quintessa Marlowe" also rules out "QuintessaMarlowe" and "marlowe" (zxcvbn matches its
 * dictionaries exactly; the Levenshtein matching that caught such near-misses costs too much).
 */
function relatedWords(related: readonly string[]): string[] {
  const words = new Set<string>();
  for (const entry of related) {
    const text = entry.normalize('NFKC').trim();
    if (!text) continue;
    words.add(text);
    words.add(text.replace(/\s+/gu, ''));
    for (const part of text.split(/[\s._-]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}

/** The issue a too-common password gets, on `field`. */
function tooCommon(field: string) {
  return {
    code: 'custom' as const,
    path: [field],
    message: PASSWORD_TOO_COMMON_MESSAGE,
    params: { rule: PASSWORD_TOO_COMMON },
  };
}

/** zod runs refinements after field issues too: a password of the wrong length has its answer already. */
const hasValidLength = (password: string) =>
  password.length >= PASSWORD_MIN && password.length <= PASSWORD_MAX;

/**
 * The registration body with the common-password rule: a refused password is one issue on
 * `password` with `params: { rule: 'password_too_common' }`, which the server answers as
 * `request/invalid`.
 */
export const registerBodyCheckedSchema = registerBodySchema.superRefine((body, context) => {
  if (!hasValidLength(body.password)) return;
  if (isPasswordTooCommon(body.password, [body.username, body.displayName])) {
    context.addIssue(tooCommon('password'));
  }
});
export type RegisterBodyChecked = z.infer<typeof registerBodyCheckedSchema>;

/**
 * The password-change body with the common-password rule on `newPassword` (one issue, as
 * registration's). `related` are the account's own words (its username and display name), which
 * count as guessable; the body does not carry them, so the schema is made per account: the server
 * checks it after the body's shape, the web app before sending.
 */
export function passwordChangeBodyCheckedSchema(related: string[]) {
  return passwordChangeBodySchema.superRefine((body, context) => {
    if (!hasValidLength(body.newPassword)) return;
    if (isPasswordTooCommon(body.newPassword, related)) context.addIssue(tooCommon('newPassword'));
  });
}
