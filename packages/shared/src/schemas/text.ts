import { z } from 'zod';

/**
 * One code point that draws something. Everything outside this class is blank on screen:
 * - `White_Space`: spaces of every width (U+0020, U+00A0, U+3000…) and line breaks;
 * - `Default_Ignorable_Code_Point`: what Unicode says a renderer shows as nothing when it has no
 *   special support (UAX #44, Unicode Standard §5.21): U+200B–U+200F, U+2060–U+2064, U+00AD, U+034F,
 *   U+FEFF, variation selectors, tag characters, and the Hangul fillers U+115F, U+1160, U+3164, U+FFA0;
 * - `Cc` and `Cf`: control and format characters, which have no glyph of their own;
 * - U+2800 BRAILLE PATTERN BLANK: a graphic character (So) that is neither whitespace nor
 *   default-ignorable, yet every font draws it as an empty cell, which is why it is the usual
 *   trick for "empty" chat messages and names. Listed by hand because no Unicode property covers it.
 *
 * Property classes, not a hand-made list, so the rule follows the Unicode version of the runtime
 * (Node 20 and current browsers support these escapes with the `u` flag).
 */
const VISIBLE_CHARACTER = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\u2800]/u;

/**
 * Characters a name may never hold:
 * - `Cc` controls (NUL, tab, newline, ESC…): a name is one line of plain text;
 * - `Zl`/`Zp` (U+2028, U+2029): line and paragraph separators, for the same reason;
 * - `Bidi_Control` (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): the explicit directional
 *   formatting characters of UAX #9 §2. An unclosed override in a name reorders what is shown after it
 *   (`evil\u202Egnp.exe` reads as "evilexe.png"), the spoofing behind "Trojan Source", CVE-2021-42574.
 */
const NAME_FORBIDDEN_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u;

/** A surrogate standing alone: with the `u` flag `\p{Cs}` matches no half of a well-formed pair. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * Whether `text` draws anything: true when at least one character is outside whitespace,
 * default-ignorable code points, control and format characters and U+2800 (see VISIBLE_CHARACTER).
 * Emoji sequences with ZWJ, CJK, and text with newlines or tabs between words all count as visible.
 * The web app uses this (through the schemas) to enable its send buttons; the server, to refuse input.
 */
export function hasVisibleText(text: string): boolean {
  return VISIBLE_CHARACTER.test(text);
}

/** Whether `text` is free of the control, line-separator and bidi-control characters names may not hold. */
export function isSafeName(text: string): boolean {
  return !NAME_FORBIDDEN_CHARACTER.test(text);
}

const NAME_FORBIDDEN_CHARACTERS = new RegExp(NAME_FORBIDDEN_CHARACTER.source, 'gu');

/** `text` without the characters names may not hold (see NAME_FORBIDDEN_CHARACTER), for names taken as given. */
export function withoutUnsafeNameCharacters(text: string): string {
  return text.replace(NAME_FORBIDDEN_CHARACTERS, '');
}

/**
 * Whether `text` is well-formed UTF-16: no surrogate without its other half. JSON carries one
 * (`"\ud800"`), but UTF-8, in which the database and every wire keep text, cannot: it would be stored
 * as U+FFFD, so what is read back would differ from what the server acknowledged and broadcast.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * `text` without its lone surrogates (pairs kept), for text the server itself rewrites before keeping
 * it, such as an upload's file name (which it already cleans of controls). Client input is refused
 * instead (wellFormed), so that what is stored is exactly what was sent.
 */
export function dropLoneSurrogates(text: string): string {
  return text.replace(LONE_SURROGATES, '');
}

/**
 * Which rule a custom issue broke, in `issue.params.rule` (zod `custom` issues), so a client can
 * put it in words without parsing the message.
 */
export type TextRule = 'visible' | 'name_characters' | 'well_formed';

/** A rule id to attach to a zod refinement: `.refine(check, textRuleIssue('visible', '…'))`. */
function textRuleIssue(rule: TextRule, message: string) {
  return { message, params: { rule } };
}

const WELL_FORMED_ISSUE = textRuleIssue('well_formed', 'must not contain a lone surrogate');

/**
 * `schema` with the well-formed rule (isWellFormedText): a lone surrogate is refused with a `custom`
 * issue, `params.rule` `well_formed`. Every string field a client sends in the contract goes through
 * this (through textInputSchema, messageBodySchema, visibleNameSchema or directly, as URLs do), except
 * the login body, which is only compared; IDs, enums, UUIDs and tokens are refused by their own format.
 * Why: JSON carries a lone surrogate but UTF-8, in which the database keeps text, cannot; MariaDB
 * would keep U+FFFD, and argon2 hashes the same U+FFFD for every lone surrogate (so "x\ud800" and
 * "x\udc00" would be one password). The server would acknowledge one text and later serve another.
 * The shared test finds every string of every input schema and checks it obeys this rule.
 */
export function wellFormed<T extends z.ZodType<string>>(schema: T): T {
  return schema.refine(isWellFormedText, WELL_FORMED_ISSUE);
}

/**
 * A free-text string a client sends (a description, a label, a password, a search): `z.string()`
 * with the well-formed rule. Chain the field's own limits after it: `textInputSchema().trim().max(64)`.
 */
export function textInputSchema() {
  return wellFormed(z.string());
}

/**
 * Message text: trimmed; 1 to `max` characters; well-formed (isWellFormedText); must have at least
 * one visible character (see hasVisibleText). Anything else is kept as typed: newlines, tabs, ZWJ inside emoji, and bidi
 * controls, which a writer of right-to-left text may need; clients isolate each message
 * (`dir="auto"`) so they cannot reorder anything outside it.
 */
export function messageBodySchema(max: number) {
  return textInputSchema()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(hasVisibleText, textRuleIssue('visible', 'must contain a visible character'));
}

/**
 * A name people see next to what others write (display names, group names, and any later named
 * thing such as bots): trimmed; 1 to `max` characters; no control, line-separator or bidi-control
 * character (isSafeName); well-formed (isWellFormedText); at least one visible character (hasVisibleText). Input schemas only:
 * names stored before this rule stay as they are and are still served.
 */
export function visibleNameSchema(max: number) {
  return textInputSchema()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(
      isSafeName,
      textRuleIssue('name_characters', 'must not contain control or bidirectional formatting characters'),
    )
    .refine(hasVisibleText, textRuleIssue('visible', 'must contain a visible character'));
}
