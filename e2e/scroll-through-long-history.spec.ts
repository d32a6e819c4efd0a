import {
  connectionBanner,
  expect,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';
import { numbered, openConversationId, sendMessagesThroughSocket } from './seed.js';
import { settledView } from './viewport.js';

test('scrolling up through 1,000 messages shows every one in order, with no jump while older pages load', async ({
  signUp,
}) => {
  test.setTimeout(180_000);
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  const conversationUrl = ada.page.url();
  // Nobody's page is open while the history is written: no browser renders 1,000 live arrivals.
  await ada.page.goto('about:blank');
  await grace.page.goto('about:blank');
  const seqs = (
    await sendMessagesThroughSocket(ada, conversationId, numbered(1000, 'History'), { inFlight: 10 })
  ).map(({ seq }) => seq);
  expect(seqs.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, index) => index + 1));

  // A fresh load: the list opens at the newest message with one page of history.
  await ada.page.goto(conversationUrl);
  const log = messageLog(ada.page, grace.displayName);
  await waitForText(log, 'History 1000');
  await log.hover();

  let previous = await settledView(log);
  expect(previous.touching.at(-1)).toBe(1000);
  const seen = new Set(previous.touching);
  const height = await log.evaluate((scroller) => scroller.clientHeight);
  // Less than a viewport per step, so consecutive views must overlap.
  const step = Math.floor(height * 0.6);
  let steps = 0;
  while (!seen.has(1)) {
    expect(steps++, `still scrolling after ${steps} steps; seen ${seen.size}`).toBeLessThan(2000);
    await ada.page.mouse.wheel(0, -step);
    const view = await settledView(log);
    const context = `step ${steps}: ${JSON.stringify(previous.touching)} → ${JSON.stringify(view.touching)}`;
    expect(view.touching.length, context).toBeGreaterThan(0);
    // Top to bottom, the rows in view are consecutive messages...
    expect(view.touching, context).toEqual(
      Array.from({ length: view.touching.length }, (_, index) => view.touching[0]! + index),
    );
    // ...moving up by less than a screen: never down, and never past what was just at the top.
    expect(view.touching[0]!, context).toBeLessThanOrEqual(previous.touching[0]!);
    expect(view.touching.at(-1)!, context).toBeGreaterThanOrEqual(previous.touching[0]!);
    for (const seq of view.touching) seen.add(seq);
    previous = view;
  }
  expect(seen.size).toBe(1000);
  await expect(log.getByText('This is the beginning of the conversation.')).toBeVisible();
});

test('a message sent right after going offline is shown above the offline banner’s push', async ({
  signUp,
}) => {
  test.setTimeout(90_000);
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await sendMessagesThroughSocket(ada, openConversationId(ada.page), numbered(60, 'Earlier'), {
    inFlight: 10,
  });
  const log = messageLog(ada.page, grace.displayName);
  await expect(log.locator('[data-testid=message][data-seq="60"]')).toBeInViewport();
  expect((await settledView(log)).touching.at(-1)).toBe(60);

  await ada.context.setOffline(true);
  await expect(connectionBanner(ada.page)).toBeVisible();
  const text = 'Sent from the lift.';
  await sendMessage(ada.page, text);
  const pending = messagesIn(log, text);
  await expect(pending).toHaveAttribute('data-state', 'sending');
  await settledView(log);
  const logBox = (await log.boundingBox())!;
  const rowBox = (await pending.boundingBox())!;
  expect(rowBox.y).toBeGreaterThanOrEqual(logBox.y);
  expect(rowBox.y + rowBox.height).toBeLessThanOrEqual(logBox.y + logBox.height + 0.5);
  await ada.context.setOffline(false);
});
