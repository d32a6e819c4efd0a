// What every spec imports instead of @playwright/test: `test` with Parley's fixtures, `expect`, and
// helpers that drive the UI the way a person does. Specs see the app only through the page: a
// socket event cannot be awaited from here, so helpers wait for the text it makes appear.
import { randomBytes } from 'node:crypto';
import { test as base, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';

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

/** The account menu in the sidebar: its presence means the app has signed this person in. */
export function accountMenu(page: Page, account: Pick<Account, 'displayName'>): Locator {
  return page.getByRole('button', { name: `Account menu for ${account.displayName}`, exact: true });
}

export async function registerThroughUi(page: Page, account: Account): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Display name', { exact: true }).fill(account.displayName);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
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

export const test = base.extend<ParleyFixtures>({
  signUp: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (name, options) => {
      // Contexts made from the `browser` fixture get the config's `use` options (baseURL, locale) and its tracing.
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const account = newAccount(name, options);
      await registerThroughUi(page, account);
      return { ...account, context, page };
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
});
