import type { BrowserContext, Route } from '@playwright/test';
import {
  connectionBanner,
  conversationLink,
  expect,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  storedMessages,
  test,
  waitForText,
} from './fixtures.js';

/**
 * Keeps the chat socket of `context` from connecting until the returned function lets it: pages and
 * the REST API work. The client tries WebSocket first: the connection is made, but what the server
 * sends (its Engine.IO handshake first) is held, as a stalled network would; HTTP long-polling, the
 * fallback, is held too. Holding rather than failing means the socket connects at once when released,
 * instead of after whatever reconnection back-off it has reached.
 */
async function holdChatSocket(context: BrowserContext): Promise<() => Promise<void>> {
  let holding = true;
  const heldFrames: Array<() => void> = [];
  await context.routeWebSocket('**/socket.io/**', (page) => {
    const server = page.connectToServer();
    server.onMessage((frame) => {
      const deliver = () => {
        try {
          page.send(frame);
        } catch {
          // The page that opened it has reloaded since.
        }
      };
      if (holding) heldFrames.push(deliver);
      else deliver();
    });
  });
  const held: Route[] = [];
  const hold = (route: Route) => {
    held.push(route);
  };
  await context.route('**/socket.io/**', hold);
  return async () => {
    holding = false;
    for (const deliver of heldFrames.splice(0)) deliver();
    await context.unroute('**/socket.io/**', hold);
    // Requests of a page that has since reloaded are gone already.
    await Promise.all(held.map((route) => route.continue().catch(() => undefined)));
  };
}

test('messages still unsent when Ada reloads are kept, and go out in the order she typed them', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await conversationLink(grace.page, ada.displayName).click();
  const adaLog = messageLog(ada.page, grace.displayName);
  const graceLog = messageLog(grace.page, ada.displayName);
  const first = 'First: the slides are ready.';
  const second = 'Second: we present in room 4.';

  const release = await holdChatSocket(ada.context);
  await ada.page.reload();
  await expect(connectionBanner(ada.page)).toHaveText('Connecting…');

  await sendMessage(ada.page, first);
  await sendMessage(ada.page, second);
  await expect(messagesIn(adaLog)).toHaveCount(2);
  await expect(messagesIn(adaLog)).toContainText([first, second]);
  await expect(messagesIn(adaLog, first)).toHaveAttribute('data-state', 'sending');
  await expect(messagesIn(adaLog, second)).toHaveAttribute('data-state', 'sending');

  await ada.page.reload();
  await expect(messagesIn(adaLog)).toHaveCount(2);
  await expect(messagesIn(adaLog)).toContainText([first, second]);
  for (const text of [first, second]) {
    const pending = messagesIn(adaLog, text);
    await expect(pending).toHaveAttribute('data-state', 'sending');
    await expect(pending.getByRole('img', { name: 'Sending…', exact: true })).toBeVisible();
  }
  await expect(messagesIn(graceLog)).toHaveCount(0);

  await release();
  await expect(connectionBanner(ada.page)).toBeHidden();
  await expect(messagesIn(adaLog, first)).toHaveAttribute('data-state', 'sent');
  await expect(messagesIn(adaLog, second)).toHaveAttribute('data-state', 'sent');
  await waitForText(graceLog, second);
  await waitForText(graceLog, first);

  // Once each, in the order typed (the server numbers them as they are stored).
  const received = await storedMessages(graceLog);
  expect(received.map((message) => message.text)).toEqual([first, second]);
  expect(received[0]!.seq).toBeLessThan(received[1]!.seq);
  await expect(messagesIn(adaLog)).toHaveCount(2);

  await grace.page.reload();
  await waitForText(graceLog, second);
  expect((await storedMessages(graceLog)).map((message) => message.text)).toEqual([first, second]);
});

test('a message half written when the page reloads is still in the composer, and only in its conversation', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const composer = ada.page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill('草稿：still thinking about the plan');
  await ada.page.reload();
  await expect(composer).toHaveValue('草稿：still thinking about the plan');
  // Sent, it is gone from the composer for good: another reload brings back nothing.
  await composer.press('Enter');
  await waitForText(messageLog(ada.page, grace.displayName), '草稿：still thinking about the plan');
  await expect(composer).toHaveValue('');
  await ada.page.reload();
  await expect(messageLog(ada.page, grace.displayName)).toContainText('草稿：still thinking about the plan');
  await expect(composer).toHaveValue('');
});
