import type { BrowserContext, Page } from '@playwright/test';
import {
  createGroup,
  expect,
  logInThroughUi,
  messageActions,
  messageLog,
  messagesIn,
  newAccount,
  registerThroughUi,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

/** What a page reported: CSP violations (event and console) and requests that did not complete. */
interface Watched {
  page: Page;
  problems: string[];
}

/**
 * A new browser context whose pages record every Content-Security-Policy violation: the
 * `securitypolicyviolation` event (listened for before any app script runs, in the capture phase, so
 * violations inside shadow roots such as the emoji picker's count too), Chromium's console report of
 * a refusal, and failed requests (a request blocked by CSP fails with net::ERR_BLOCKED_BY_CSP).
 */
async function watchedPage(
  browser: import('@playwright/test').Browser,
  contexts: BrowserContext[],
): Promise<Watched> {
  const context = await browser.newContext();
  contexts.push(context);
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener(
      'securitypolicyviolation',
      (event) =>
        seen.push(
          `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber}:${event.columnNumber})`,
        ),
      true,
    );
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  return { page, problems };
}

async function violations({ page, problems }: Watched): Promise<string[]> {
  const fromEvents = await page.evaluate(
    () => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
  );
  return [...problems, ...fromEvents.map((violation) => `event: ${violation}`)];
}

test('registering, logging in, chatting in a group and picking an emoji break no Content-Security-Policy rule', async ({
  browser,
  baseURL,
}) => {
  // Three people's browsers and the picker's first load: more than one ordinary test's budget.
  test.setTimeout(60_000);
  const contexts: BrowserContext[] = [];
  try {
    const ada = { ...newAccount('ada'), ...(await watchedPage(browser, contexts)) };
    const grace = { ...newAccount('grace'), ...(await watchedPage(browser, contexts)) };

    await test.step('the server sends the policy with the app', async () => {
      const response = await ada.page.request.get(`${baseURL}/`, { headers: { accept: 'text/html' } });
      expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
    });

    await registerThroughUi(ada.page, ada);
    await registerThroughUi(grace.page, grace);

    const group = 'Policy club';
    await createGroup(ada.page, group, [grace]);
    await sendMessage(ada.page, 'Strict policies, relaxed people.');
    await grace.page
      .getByRole('link', { name: new RegExp(group) })
      .first()
      .click();
    await waitForText(messageLog(grace.page, group), 'Strict policies, relaxed people.');

    await test.step('Grace reacts through the full emoji picker', async () => {
      const message = messagesIn(messageLog(grace.page, group), 'Strict policies, relaxed people.');
      const toolbar = await messageActions(message);
      await toolbar.getByRole('button', { name: 'Add reaction', exact: true }).click();
      const picker = grace.page.getByRole('group', { name: 'Choose an emoji' });
      const firstEmoji = picker.getByRole('menuitem').first();
      await expect(firstEmoji).toBeVisible();
      // The picker's own stylesheet applied: its emoji are laid out as a grid of buttons, not text.
      expect(await firstEmoji.evaluate((element) => getComputedStyle(element).cursor)).toBe('pointer');
      const emoji = (await firstEmoji.getAttribute('aria-label'))!.split(',')[0]!.trim();
      await firstEmoji.click();
      await expect(
        messageLog(ada.page, group).getByRole('button', { name: new RegExp(`^${emoji} 1, reacted by`) }),
      ).toBeVisible();
    });

    const returning = { ...ada, ...(await watchedPage(browser, contexts)) };
    await test.step('Ada logs in again in a new browser', async () => {
      await logInThroughUi(returning.page, ada);
      await waitForText(returning.page, group);
    });

    await test.step('no page reported a violation or a blocked load', async () => {
      for (const watched of [ada, grace, returning]) {
        // Fonts are the system's; whatever the page asked for has finished loading.
        expect(await watched.page.evaluate(async () => (await document.fonts.ready).status)).toBe('loaded');
        expect(await violations(watched)).toEqual([]);
      }
    });
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
});
