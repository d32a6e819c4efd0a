// The well-formed rule on every string a client sends (docs/protocol.md, "Text that must be visible").
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contract from '../src/index.js';
import { registerBodyCheckedSchema } from '../src/password-strength.js';

const {
  companionSettingsSchema,
  createBotBodySchema,
  createBotTokenBodySchema,
  createBotWebhookBodySchema,
  dropLoneSurrogates,
  groupSettingsBodySchema,
  loginBodySchema,
  registerBodySchema,
  timeZoneBodySchema,
  updateBotBodySchema,
} = contract;

/**
 * Texts with a lone surrogate, each otherwise acceptable to some kind of field: short, long enough
 * for a password, a URL. Every string field of an input schema must refuse all of them.
 */
const BROKEN = [
  '\ud800',
  'name-\udfff',
  'a long enough text \ud83d with words',
  'https://example.com/\ud800',
  'https://example.com/a?q=\udc00',
];

/**
 * Schemas the name pattern below matches, or fields of them, that are not free text a client sends to
 * be kept.
 */
const EXEMPT: Record<string, string> = {
  loginBodySchema: 'only compared, never stored: a login is answered as today (wrong credentials at worst)',
  'passwordChangeBodySchema.currentPassword': 'only compared, never stored, as the password of a login',
  webhookPayloadSchema: 'what Parley POSTs to a webhook, built from stored rows, not client input',
};

type AnySchema = z.core.$ZodType;

/** Every `string` schema inside `schema`, with the path to it. */
function stringLeaves(
  schema: AnySchema,
  path: string,
  found: [string, AnySchema][] = [],
): [string, AnySchema][] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const visit = (inner: unknown, at: string) => stringLeaves(inner as AnySchema, at, found);
  switch (def.type) {
    case 'string':
      found.push([path, schema]);
      break;
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, unknown>))
        visit(value, `${path}.${key}`);
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      visit(def.innerType, path);
      break;
    case 'pipe':
      visit(def.in, path);
      break;
    case 'union':
      for (const option of def.options as unknown[]) visit(option, path);
      break;
    case 'array':
      visit(def.element, `${path}[]`);
      break;
  }
  return found;
}

/** The contract's input schemas: request bodies, socket payloads, queries, settings a client sends. */
const inputSchemas = Object.entries(contract)
  .filter(([, value]) => value instanceof z.ZodType)
  .filter(
    ([name]) =>
      /(Body|Payload|Query|Fields)Schema$/.test(name) || /^(companion|site)SettingsSchema$/.test(name),
  )
  .concat([
    ['webhookReplySchema', contract.webhookReplySchema],
    ['registerBodyCheckedSchema', registerBodyCheckedSchema],
  ])
  .filter(([name]) => !(name in EXEMPT)) as [string, AnySchema][];

const leaves = inputSchemas
  .flatMap(([name, schema]) => stringLeaves(schema, name))
  .filter(([path]) => !(path in EXEMPT));

describe('every string a client sends is well-formed', () => {
  it('finds the free-text fields of the contract (the walk reaches them)', () => {
    const paths = leaves.map(([path]) => path);
    for (const expected of [
      'registerBodySchema.password',
      'passwordChangeBodySchema.newPassword',
      'profileBodySchema.displayName',
      'createBotBodySchema.description',
      'createBotBodySchema.avatarUrl',
      'createBotTokenBodySchema.label',
      'createBotWebhookBodySchema.url',
      'companionSettingsSchema.persona',
      'companionSettingsSchema.greeting',
      'companionSettingsSchema.model',
      'groupSettingsBodySchema.description',
      'groupSettingsBodySchema.announcement',
      'timeZoneBodySchema.timeZone',
      'sendMessagePayloadSchema.text',
      'userSearchQuerySchema.q',
    ])
      expect(paths).toContain(expected);
  });

  it('the broken texts are ones a plain string or URL schema would take', () => {
    for (const text of BROKEN) expect(z.string().safeParse(text).success).toBe(true);
    expect(z.url().safeParse('https://example.com/\ud800').success).toBe(true);
  });

  it.each(leaves)('%s refuses a lone surrogate', (_path, leaf) => {
    for (const text of BROKEN) expect(z.safeParse(leaf, text).success, JSON.stringify(text)).toBe(false);
  });
});

/** One valid body per schema, and the field to break in it. */
const FIELDS: [name: string, schema: z.ZodType, body: Record<string, unknown>, field: string][] = [
  [
    'register password',
    registerBodySchema,
    { username: 'ada', displayName: 'Ada', password: 'correct horse' },
    'password',
  ],
  [
    'bot description',
    createBotBodySchema,
    { username: 'helper', displayName: 'Helper', description: 'helps' },
    'description',
  ],
  ['bot avatar URL', updateBotBodySchema, { avatarUrl: 'https://example.com/a.png' }, 'avatarUrl'],
  ['bot token label', createBotTokenBodySchema, { label: 'ci' }, 'label'],
  [
    'webhook URL',
    createBotWebhookBodySchema,
    { url: 'https://example.com/hook', events: ['message'] },
    'url',
  ],
  ['companion persona', companionSettingsSchema, { persona: 'kind' }, 'persona'],
  ['companion greeting', companionSettingsSchema, { persona: 'kind', greeting: 'hello' }, 'greeting'],
  ['companion model', companionSettingsSchema, { persona: 'kind', model: 'small' }, 'model'],
  ['group description', groupSettingsBodySchema, { description: 'about us' }, 'description'],
  ['group announcement', groupSettingsBodySchema, { announcement: 'news' }, 'announcement'],
  ['time zone', timeZoneBodySchema, { timeZone: 'Europe/Paris' }, 'timeZone'],
];

describe.each(FIELDS)('%s', (_name, schema, body, field) => {
  it('accepts the valid body as sent', () => {
    expect(schema.safeParse(body).success).toBe(true);
  });

  it.each([
    ['a high surrogate alone', '\ud83d'],
    ['a low surrogate alone', '\ude00'],
  ])('refuses %s with params.rule well_formed on the field', (_kind, surrogate) => {
    const broken = { ...body, [field]: `${String(body[field])}${surrogate}` };
    expect(schema.safeParse(broken).error?.issues).toContainEqual(
      expect.objectContaining({ path: [field], params: { rule: 'well_formed' } }),
    );
  });

  it('accepts surrogate pairs (emoji) in it', () => {
    const url = String(body[field]).startsWith('https:');
    const withEmoji = { ...body, [field]: url ? `${String(body[field])}?e=😀` : `${String(body[field])} 😀` };
    expect(schema.safeParse(withEmoji).success).toBe(true);
  });
});

describe('passwords', () => {
  it('login compares a lone surrogate as today: the body is valid, the hash decides', () => {
    expect(loginBodySchema.safeParse({ username: 'ada', password: 'pass\ud800word' }).success).toBe(true);
  });

  it('registration refuses one before the common-password check runs on it', () => {
    const parsed = registerBodyCheckedSchema.safeParse({
      username: 'ada',
      displayName: 'Ada',
      password: 'a long enough text \ud83d with words',
    });
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({ path: ['password'], params: { rule: 'well_formed' } }),
    ]);
  });
});

describe('dropLoneSurrogates', () => {
  it.each([
    ['x\ud800y', 'xy'],
    ['\udc00😀\ud83d', '😀'],
    ['plain 𠀀', 'plain 𠀀'],
  ])('%j becomes %j', (text, expected) => {
    expect(dropLoneSurrogates(text)).toBe(expected);
  });
});
