// Right-to-left user text (docs/protocol.md, "Text that must be visible"; issue 6): messages, previews,
// names and the composer each take their direction from their own text, whatever the UI language.
import type { Locator, Page } from '@playwright/test';
import {
  conversationLink,
  expect,
  literal,
  messageLog,
  messagesIn,
  openDirectConversation,
  test,
  waitForText,
  switchLocale,
} from './fixtures.js';

const HEBREW = 'שלום, מה שלומך?';
const LATIN = 'Hello, how are you?';

/**
 * A conversation link, found in either UI language: its accessible name is what it shows, starting
 * with the conversation's title (conversationLink looks inside the English "Conversations" landmark).
 */
function linkNamedFirst(page: Page, title: string): Locator {
  return page.getByRole('link', { name: new RegExp(`^${literal(title)}(\\s|$)`) });
}

/** The direction the browser resolved for an element: `dir="auto"` decides it from the element's own text. */
function direction(element: Locator): Promise<string> {
  return element.evaluate((el) => (el.matches(':dir(rtl)') ? 'rtl' : 'ltr'));
}

/** Where an element sits horizontally in the message log: its left and right edges, in CSS pixels. */
function edges(element: Locator): Promise<{ left: number; right: number }> {
  return element.evaluate((el) => {
    const box = el.getBoundingClientRect();
    return { left: box.left, right: box.right };
  });
}

// Both UI languages are left to right; user text must take its own direction in either of them.
for (const locale of ['en', 'zh-CN'] as const) {
  test(`a Hebrew message reads right to left and a Latin one left to right (${locale} UI)`, async ({
    signUp,
  }) => {
    const ada = await signUp('ada');
    const noa = await signUp('noa', { displayName: `נועה ${Date.now() % 10_000}` });
    await openDirectConversation(ada.page, noa);
    for (const person of [ada, noa]) {
      await switchLocale(person.page, locale);
    }
    const composer = ada.page.locator('textarea[data-composer]');
    const send = ada.page.locator('form:has(textarea[data-composer]) button[type=submit]');
    await expect(composer).toBeVisible();

    await test.step('the composer takes the direction of what is typed', async () => {
      await composer.fill(HEBREW);
      expect(await direction(composer)).toBe('rtl');
      await composer.fill(LATIN);
      expect(await direction(composer)).toBe('ltr');
    });

    await test.step('sent messages: bubble text, preview and name each follow their own text', async () => {
      await composer.fill(HEBREW);
      await send.click();
      await composer.fill(LATIN);
      await send.click();

      const noaLink = linkNamedFirst(noa.page, ada.displayName);
      await expect(noaLink).toBeVisible();
      const preview = noaLink.getByTestId('conversation-preview-text');
      await expect(preview).toHaveText(LATIN);
      expect(await direction(preview)).toBe('ltr');

      const adaRows = ada.page.getByTestId('message');
      const hebrewRow = adaRows.filter({ hasText: HEBREW });
      const latinRow = adaRows.filter({ hasText: LATIN });
      await expect(latinRow).toHaveAttribute('data-state', 'sent');
      expect(await direction(hebrewRow.getByTestId('message-text'))).toBe('rtl');
      expect(await direction(latinRow.getByTestId('message-text'))).toBe('ltr');
      // Computed style agrees with :dir(), so layout (alignment, ellipsis side) follows it too.
      expect(
        await hebrewRow.getByTestId('message-text').evaluate((el) => getComputedStyle(el).direction),
      ).toBe('rtl');

      // The bubble stays on the sender's side: Ada's own messages both end at the same right edge.
      const hebrewBubble = await edges(hebrewRow.getByTestId('message-bubble'));
      const latinBubble = await edges(latinRow.getByTestId('message-bubble'));
      expect(Math.abs(hebrewBubble.right - latinBubble.right)).toBeLessThan(1);

      // The question mark ends the sentence on the left, where a right-to-left sentence ends.
      const questionMarkIsLeftmost = await hebrewRow.getByTestId('message-text').evaluate((el) => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        let text: Text | null = null;
        while (walker.nextNode()) {
          if ((walker.currentNode as Text).data.includes('?')) text = walker.currentNode as Text;
        }
        if (!text) throw new Error('no question mark in the message');
        const box = (start: number) => {
          const range = document.createRange();
          range.setStart(text, start);
          range.setEnd(text, start + 1);
          return range.getBoundingClientRect();
        };
        return box(text.data.indexOf('?')).left < box(text.data.indexOf('ש')).left;
      });
      expect(questionMarkIsLeftmost).toBe(true);

      await noaLink.click();
      const noaHebrew = noa.page.getByTestId('message').filter({ hasText: HEBREW });
      expect(await direction(noaHebrew.getByTestId('message-text'))).toBe('rtl');
      await noa.page.locator('textarea[data-composer]').fill(HEBREW);
      await noa.page.locator('form:has(textarea[data-composer]) button[type=submit]').click();

      const adaLink = linkNamedFirst(ada.page, noa.displayName);
      const adaPreview = adaLink.getByTestId('conversation-preview-text');
      await expect(adaPreview).toHaveText(HEBREW);
      expect(await direction(adaPreview)).toBe('rtl');
      expect(await direction(ada.page.getByRole('heading', { name: noa.displayName, exact: true }))).toBe(
        'rtl',
      );
      // Noa's own preview puts "You:" (UI text) before her message, which stays right to left.
      const noaOwnPreview = noaLink.getByTestId('conversation-preview-text');
      await expect(noaOwnPreview).toHaveText(HEBREW);
      expect(await direction(noaOwnPreview)).toBe('rtl');
    });

    await ada.page.screenshot({ path: test.info().outputPath(`right-to-left-${locale}.png`) });
  });
}

test('the send button stays disabled for a draft of invisible characters only', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const composer = ada.page.getByRole('textbox', { name: 'Message', exact: true });
  const send = ada.page.getByRole('button', { name: 'Send', exact: true });

  for (const invisible of ['\u200b', '\u200b\u200b\u2060', '\u2800', '\u3164', '\u00ad', '\u200c\u200d']) {
    await composer.fill(invisible);
    await expect(send).toBeDisabled();
    // Enter does not send it either: the composer checks the same shared rule.
    await composer.press('Enter');
  }
  await composer.fill('👨‍👩‍👧');
  await expect(send).toBeEnabled();
  await send.click();

  // The emoji is the only message that arrived: none of the blank drafts went out before it.
  await conversationLink(grace.page, ada.displayName).click();
  const log = messageLog(grace.page, ada.displayName);
  await waitForText(log, '👨‍👩‍👧');
  await expect(messagesIn(log)).toHaveCount(1);
});
