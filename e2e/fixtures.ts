// What every spec imports instead of @playwright/test: `test` with Parley's fixtures, `expect`, and
// helpers that drive the UI the way a person does. Specs see the app only through the page: a
// socket event cannot be awaited from here, so helpers wait for the text it makes appear.
import { randomBytes } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import * as mariadb from 'mariadb';
import { E2E_BASE_URL, e2eDatabaseUrl } from './environment.js';
import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
} from '@playwright/test';

export { expect };

export interface Account {
  username: string;
  displayName: string;
  password: string;
}

/** A person with their own browser (cookies, storage, socket), signed in and on the app. */
export interface SignedInUser extends Account {
  context: BrowserContext;
  page: Page;
}

export interface SignUpOptions {
  /** Defaults to the capitalised name plus a short tag, so people of different tests never clash. */
  displayName?: string;
  /** The person's browser, e.g. a phone's touch screen: `{ hasTouch: true, isMobile: true, viewport }`. */
  contextOptions?: BrowserContextOptions;
}

export interface ParleyFixtures {
  /**
   * Registers a new account through /register in a new browser context and returns it signed in.
   * Call it once per person in the test; their contexts are closed when the test ends.
   */
  signUp: (name?: string, options?: SignUpOptions) => Promise<SignedInUser>;
}

export const PASSWORD = 'correct horse battery staple';

/** Usernames are 3 to 32 of [a-z0-9_.-]; one database serves the whole run, so each must be new. */
export function newAccount(name = 'user', options: SignUpOptions = {}): Account {
  const stem =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 16) || 'user';
  const tag = randomBytes(4).toString('hex');
  return {
    username: `${stem}_${tag}`,
    displayName: options.displayName ?? `${stem[0]!.toUpperCase()}${stem.slice(1)} ${tag.slice(0, 4)}`,
    password: PASSWORD,
  };
}

/**
 * The account menu in the sidebar: its presence means the app has signed this person in. It is
 * named by what it shows, the display name and @username; "Account menu for …" is its description.
 */
export function accountMenu(page: Page, account: Pick<Account, 'displayName' | 'username'>): Locator {
  return page.getByRole('button', { name: `${account.displayName} @${account.username}`, exact: true });
}

/** The app's languages (apps/web/src/i18n), as `parley.locale` in localStorage holds them. */
export type AppLocale = 'en' | 'zh-CN';

/** The sizes screenshots and layout checks use: a laptop and a phone (CSS pixels). */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/** Switches `page` to `locale` as a person would (the language menu's choice, kept), and reloads. */
export async function switchLocale(page: Page, locale: AppLocale): Promise<void> {
  await page.evaluate((value) => localStorage.setItem('parley.locale', value), locale);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', locale);
}

/** `text` as a regular expression that matches it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function registerThroughUi(page: Page, account: Account): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Display name', { exact: true }).fill(account.displayName);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(accountMenu(page, account)).toBeVisible();
}

/**
 * Registers `account` over HTTP in the page's context (the session cookie lands in its jar), then
 * opens the app. The fixture's way: a spec about registering uses registerThroughUi; the others
 * need a signed-in person, and a page load fewer per person keeps the suite short.
 */
export async function registerThroughApi(page: Page, account: Account): Promise<void> {
  const response = await page.request.post('/api/auth/register', {
    data: { username: account.username, displayName: account.displayName, password: account.password },
    headers: { origin: E2E_BASE_URL },
  });
  expect(response.status(), await response.text()).toBe(201);
  await page.goto('/');
  await expect(accountMenu(page, account)).toBeVisible();
}

export async function logInThroughUi(page: Page, account: Account): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(accountMenu(page, account)).toBeVisible();
}

/** Waits until some visible element inside `scope` shows `text` (hidden copies, e.g. on a phone layout, do not count). */
export async function waitForText(
  scope: Page | Locator,
  text: string | RegExp,
  options: { timeout?: number } = {},
): Promise<void> {
  await expect(scope.getByText(text).filter({ visible: true }).first()).toBeVisible(options);
}

/** Waits until no visible element inside `scope` shows `text`. */
export async function waitForTextGone(
  scope: Page | Locator,
  text: string | RegExp,
  options: { timeout?: number } = {},
): Promise<void> {
  await expect(scope.getByText(text).filter({ visible: true })).toHaveCount(0, options);
}

/** The banner that says the chat is offline, reconnecting or connecting (absent while connected). */
export function connectionBanner(page: Page): Locator {
  return page.getByTestId('connection-banner').and(page.getByRole('status'));
}

/**
 * A conversation in the sidebar list; direct conversations are named after the other person. The
 * link's accessible name is all it shows: the title, then the time, the preview and "N unread messages".
 */
export function conversationLink(page: Page, conversation: string): Locator {
  return page
    .getByRole('navigation', { name: 'Conversations', exact: true })
    .getByRole('link', { name: new RegExp(`^${literal(conversation)}(\\s|$)`) });
}

/** The open conversation's messages: a log named after the conversation. */
export function messageLog(page: Page, conversation: string | RegExp): Locator {
  return page.getByRole('log', { name: conversation, exact: typeof conversation === 'string' });
}

/** Message rows (`[data-testid=message]`) in `scope`, optionally only those showing `text`. */
export function messagesIn(scope: Page | Locator, text?: string | RegExp): Locator {
  const rows = scope.getByTestId('message');
  return text === undefined ? rows : rows.filter({ hasText: text });
}

/** The stored messages in `log` (those with a seq) as shown, top to bottom: seq and text. */
export async function storedMessages(log: Locator): Promise<{ seq: number; text: string }[]> {
  return log.locator('[data-testid=message][data-seq]').evaluateAll((items) => {
    // The text paragraph also holds the time and ticks, floated at the end of its last line.
    const messageText = (item: Element): string => {
      const paragraph = item.querySelector('[data-testid=message-text]')?.cloneNode(true);
      if (!(paragraph instanceof Element)) return '';
      paragraph.querySelectorAll('[data-testid=message-meta]').forEach((meta) => meta.remove());
      return paragraph.textContent?.trim() ?? '';
    };
    return items.map((item) => ({
      seq: Number(item.getAttribute('data-seq')),
      text: messageText(item),
    }));
  });
}

/** Types `text` into the open conversation's composer and presses Send. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/**
 * What follows a bot's name in an accessible name: its badge, which screen readers hear as " (bot)"
 * (UserBotBadge.vue), a word of its own. A regular-expression source; optional, for people.
 */
export const BOT_BADGE_NAME = String.raw`(\s*\(bot\))?`;

/** A person in a search list: the option shows their display name and @username (then "Online" if so). */
export function personOption(scope: Page | Locator, person: Account): Locator {
  return scope.getByRole('option', {
    name: new RegExp(`^${literal(person.displayName)}${BOT_BADGE_NAME} @${literal(person.username)}(\\s|$)`),
  });
}

/** "New message" → search → pick the person: opens (or creates) the direct conversation with `other`. */
export async function openDirectConversation(page: Page, other: Account): Promise<void> {
  await page.getByRole('button', { name: 'New message', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New message' });
  await dialog.getByRole('combobox', { name: 'Search people' }).fill(other.username);
  // The list keeps showing everyone until the search answers, then re-sorts: a click in between can
  // land where the option was (the dialog then stays open: seen on a loaded machine). Pick from the answer.
  await expect(dialog.getByRole('listbox')).toHaveAttribute('aria-busy', 'false');
  await personOption(dialog, other).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole('heading', { name: new RegExp(`^${literal(other.displayName)}${BOT_BADGE_NAME}$`) }),
  ).toBeVisible();
}

/** "New group": names it, adds `members` one by one, creates it, and waits until it is open. */
export async function createGroup(page: Page, name: string, members: readonly Account[]): Promise<void> {
  await page.getByRole('button', { name: 'New group', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill(name);
  for (const member of members) {
    await dialog.getByRole('combobox', { name: 'Add members' }).fill(member.username);
    await personOption(dialog, member).click();
  }
  await dialog.getByRole('button', { name: 'Create group', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('heading', { name, exact: true })).toBeVisible();
}

/**
 * The toolbar of a message: it is mounted only while the message is hovered (or has keyboard focus),
 * so this hovers the message first.
 */
export async function messageActions(message: Locator): Promise<Locator> {
  await message.getByTestId('message-bubble').hover();
  const toolbar = message.getByRole('toolbar', { name: 'Message actions' });
  await expect(toolbar).toBeVisible();
  return toolbar;
}

/**
 * Registers a new account in a new context of `browser` and returns it signed in, on the app; the
 * caller closes `context`. What the `signUp` fixture does, for a `test.beforeAll` that sets one scene
 * up for several tests of a spec (the fixture is per test).
 */
export async function signUpIn(
  browser: Browser,
  name?: string,
  options?: SignUpOptions,
): Promise<SignedInUser> {
  // Contexts made from the `browser` fixture, in tests and hooks alike, get the config's `use`
  // options (baseURL, locale) and its tracing.
  const context = await browser.newContext(options?.contextOptions);
  try {
    const page = await context.newPage();
    const account = newAccount(name, options);
    await registerThroughApi(page, account);
    return { ...account, context, page };
  } catch (error) {
    await context.close();
    throw error;
  }
}

export const test = base.extend<ParleyFixtures>({
  signUp: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (name, options) => {
      const user = await signUpIn(browser, name, options);
      contexts.push(user.context);
      return user;
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
});

/** Runs `work` on a connection to the e2e server's database, closed afterwards. */
async function withE2eDatabase<T>(work: (connection: mariadb.Connection) => Promise<T>): Promise<T> {
  const url = new URL(e2eDatabaseUrl());
  const connection = await mariadb.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/**
 * Makes `user` a site admin straight in the database. The first account of a run is the admin, but
 * specs run in parallel, so which one comes first is chance; this is the one door besides the console.
 */
export async function makeSiteAdmin(user: SignedInUser): Promise<void> {
  await withE2eDatabase((connection) =>
    connection.query("UPDATE users SET role = 'admin' WHERE username = ?", [user.username]),
  );
  await user.page.reload();
  await expect(accountMenu(user.page, user)).toBeVisible();
}

/**
 * Lets the silence that a companion's pending check-in waits for pass at once: the check-in job of
 * `companion` for `person` (scheduled when the person last wrote, due `checkInMinutes` later) is made
 * due now, so the job runner takes it at its next poll. How long the wait is, is the server tests'
 * business (apps/server/test/features/companions/check-ins.test.ts); a spec need not sit through it.
 * Returns how many pending check-ins were moved.
 */
export async function letCheckInSilencePass(
  person: { username: string },
  companion: { username: string },
): Promise<number> {
  return withE2eDatabase(async (connection) => {
    const result = (await connection.query(
      `UPDATE companion_jobs j
         JOIN users p ON p.id = j.userId
         JOIN users c ON c.id = j.companionId
          SET j.dueAt = UTC_TIMESTAMP(3)
        WHERE j.kind = 'check_in' AND j.doneAt IS NULL AND p.username = ? AND c.username = ?`,
      [person.username, companion.username],
    )) as { affectedRows: number };
    return result.affectedRows;
  });
}

/**
 * Fails with every WCAG 2.1 A/AA violation axe-core finds on the page as it is now. While a modal
 * dialog is open, text contrast is checked inside dialogs only: what a modal covers is dimmed by its
 * overlay on purpose and cannot be used until it closes (WCAG 2.1 SC 1.4.3 asks nothing of inactive
 * components); axe reported that dimmed text in some runs and not in others. A modal is open when
 * the rest of the page is hidden from assistive technology (reka-ui's modal dialogs mark it
 * `data-aria-hidden`, through the aria-hidden package) or a dialog says `aria-modal`. Every other
 * rule still covers the whole page.
 *
 * Colours are measured once the page's transitions have finished: right after a change of theme
 * (`emulateMedia`) or of state, a row with `transition-colors` is still between its two backgrounds,
 * and axe would judge text against a colour no one sees for longer than 150 ms.
 */
export async function expectNoViolations(page: Page, screen: string): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getComputedTiming().endTime !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const modal = '[role="dialog"], [role="alertdialog"]';
  const modalOpen = (await page.locator('[data-aria-hidden="true"], [aria-modal="true"]').count()) > 0;
  const violations = modalOpen
    ? [
        ...(await new AxeBuilder({ page }).withTags(tags).disableRules(['color-contrast']).analyze())
          .violations,
        ...(await new AxeBuilder({ page }).include(modal).withRules(['color-contrast']).analyze()).violations,
      ]
    : (await new AxeBuilder({ page }).withTags(tags).analyze()).violations;
  expect(
    violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`),
    `axe-core violations on ${screen}`,
  ).toEqual([]);
}
