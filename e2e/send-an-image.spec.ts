import type { Page } from '@playwright/test';
import {
  test as base,
  conversationLink,
  expect,
  expectNoViolations,
  messageActions,
  messageLog,
  messagesIn,
  openDirectConversation,
  waitForText,
  type SignedInUser,
} from './fixtures.js';
import { openConversationId } from './seed.js';

/** Ada and Grace, each signed in, with Ada in their direct conversation. */
interface DirectChat {
  ada: SignedInUser;
  grace: SignedInUser;
  conversationId: number;
}

/** Every test here starts from Ada and Grace's direct conversation, open on Ada's screen. */
const test = base.extend<{ chat: DirectChat }>({
  chat: async ({ signUp }, use) => {
    const ada = await signUp('ada');
    const grace = await signUp('grace');
    await openDirectConversation(ada.page, grace);
    await expect(ada.page).toHaveURL(/\/c\/\d+$/);
    await use({ ada, grace, conversationId: openConversationId(ada.page) });
  },
});

/** What a spec reads of a stored message (the shared contract's Message, trimmed). */
interface StoredMessage {
  text: string;
  attachment: {
    id: string;
    kind: string;
    fileName: string;
    mime: string;
    width: number | null;
    height: number | null;
  } | null;
}

/** Where the server serves an upload's variant (shared's uploadPath). */
const uploadPath = (id: string, variant = 'content') => `/api/uploads/${id}/${variant}`;

/** A real PNG, drawn and encoded by the browser's own canvas. */
async function drawPng(page: Page, width = 64, height = 40): Promise<Buffer> {
  const base64 = await page.evaluate(
    ({ w, h }) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2d canvas');
      context.fillStyle = '#e07a2f';
      context.fillRect(0, 0, w, h);
      context.fillStyle = '#2f6fe0';
      context.fillRect(0, h / 2, w, h / 2);
      return canvas.toDataURL('image/png').split(',')[1] ?? '';
    },
    { w: width, h: height },
  );
  return Buffer.from(base64, 'base64');
}

/** A minimal PDF that file-type recognises by its bytes. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** The newest message of a conversation as `page`'s session reads it over HTTP. */
async function newestMessage(page: Page, conversationId: number): Promise<StoredMessage | undefined> {
  const response = await page.request.get(`/api/conversations/${conversationId}/messages`);
  expect(response.status()).toBe(200);
  return ((await response.json()) as { messages: StoredMessage[] }).messages.at(-1);
}

test('attach an image with a caption: a preview before sending, and the other person gets it', async ({
  chat: { ada, grace, conversationId },
}) => {
  const png = await drawPng(ada.page);

  await test.step('the paperclip’s file input takes the image and shows its preview', async () => {
    await expect(ada.page.getByRole('button', { name: 'Attach a file or image', exact: true })).toBeVisible();
    await ada.page
      .getByTestId('attach-input')
      .setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const draft = ada.page.getByRole('group', { name: 'Attached: sunset.png' });
    await expect(draft.getByRole('img', { name: 'sunset.png' })).toBeVisible();
    await expectNoViolations(ada.page, 'the composer with an image attached');
  });

  await test.step('Enter sends it with the caption; the draft empties', async () => {
    await ada.page.getByRole('textbox', { name: 'Message', exact: true }).fill('Sunset from the roof');
    await ada.page.keyboard.press('Enter');
    await expect(ada.page.getByTestId('attachment-draft')).toHaveCount(0);
    await expect(messagesIn(messageLog(ada.page, grace.displayName), 'Sunset from the roof')).toHaveAttribute(
      'data-state',
      'sent',
    );
  });

  await test.step('Grace sees the caption, and the message carries the image for her', async () => {
    await conversationLink(grace.page, ada.displayName).click();
    await expect(messagesIn(messageLog(grace.page, ada.displayName), 'Sunset from the roof')).toBeVisible();
    const message = await newestMessage(grace.page, conversationId);
    expect(message?.text).toBe('Sunset from the roof');
    expect(message?.attachment).toMatchObject({
      kind: 'image',
      fileName: 'sunset.png',
      width: 64,
      height: 40,
    });
    const thumbnail = await grace.page.request.get(uploadPath(message!.attachment!.id, 'thumbnail'));
    expect(thumbnail.status()).toBe(200);
    expect(thumbnail.headers()['content-type']).toBe('image/webp');
    // On her screen: the thumbnail, loaded, which opens the viewer.
    const shown = messageLog(grace.page, ada.displayName).getByRole('button', {
      name: 'View image: Sunset from the roof',
      exact: true,
    });
    await expect
      .poll(() =>
        shown
          .getByRole('img')
          .evaluate((image: HTMLImageElement) => (image.complete ? image.naturalWidth : 0)),
      )
      .toBeGreaterThan(0);
    await shown.click();
    await expect(grace.page.getByRole('dialog', { name: 'sunset.png' })).toBeVisible();
    await grace.page.keyboard.press('Escape');
    await expect(shown).toBeFocused();
  });

  await test.step('Ada edits the caption with the image still in sight', async () => {
    const log = messageLog(ada.page, grace.displayName);
    // By id: while edited, its text is in the editor, not the row's own text.
    const id = await messagesIn(log, 'Sunset from the roof').getAttribute('data-message-id');
    const message = log.locator(`[data-testid=message][data-message-id="${id}"]`);
    const toolbar = await messageActions(message);
    await toolbar.getByRole('button', { name: 'Edit', exact: true }).click();
    const caption = message.getByRole('textbox', { name: 'Caption', exact: true });
    await expect(caption).toHaveValue('Sunset from the roof');
    await expect(message.getByRole('button', { name: /^View image: / })).toBeVisible();
    await caption.fill('Sunset from the roof, day two');
    await caption.press('Enter');
    await waitForText(messageLog(grace.page, ada.displayName), 'Sunset from the roof, day two');
  });
});

test('attach a PDF: a file card before sending, downloaded by the other person as a file', async ({
  chat: { ada, grace, conversationId },
}) => {
  await ada.page.getByTestId('attach-input').setInputFiles({
    name: 'minutes.pdf',
    mimeType: 'application/pdf',
    buffer: PDF,
  });
  const card = ada.page.getByRole('group', { name: 'Attached: minutes.pdf' });
  await expect(card).toContainText('minutes.pdf');
  await expect(card).toContainText(`${PDF.length} B`);
  await ada.page.getByRole('textbox', { name: 'Message', exact: true }).fill('The minutes');
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(messagesIn(messageLog(ada.page, grace.displayName), 'The minutes')).toHaveAttribute(
    'data-state',
    'sent',
  );

  await conversationLink(grace.page, ada.displayName).click();
  await expect(messagesIn(messageLog(grace.page, ada.displayName), 'The minutes')).toBeVisible();
  const message = await newestMessage(grace.page, conversationId);
  expect(message?.attachment).toMatchObject({
    kind: 'file',
    fileName: 'minutes.pdf',
    mime: 'application/pdf',
  });
  const content = await grace.page.request.get(uploadPath(message!.attachment!.id));
  expect(content.status()).toBe(200);
  expect(content.headers()['content-disposition']).toMatch(/^attachment;/);
  // On her screen: a card that downloads the file under its name.
  const received = messageLog(grace.page, ada.displayName).getByRole('link', { name: /minutes\.pdf/ });
  const [download] = await Promise.all([grace.page.waitForEvent('download'), received.click()]);
  expect(download.suggestedFilename()).toBe('minutes.pdf');
});

test('a pending upload shows its progress and can be cancelled; a refused one can be discarded', async ({
  chat: { ada, grace },
}) => {
  const page = ada.page;
  const log = messageLog(page, grace.displayName);
  const png = await drawPng(page);

  await test.step('a file dropped on the conversation is attached to the composer, at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    const drop = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['plain words'], 'notes.txt', { type: 'text/plain' }));
      return transfer;
    });
    await log.dispatchEvent('dragenter', { dataTransfer: drop });
    await expect(page.getByTestId('drop-overlay')).toHaveText('Drop a file to attach it');
    await log.dispatchEvent('drop', { dataTransfer: drop });
    await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
    const card = page.getByRole('group', { name: 'Attached: notes.txt' });
    await expect(card).toBeVisible();
    await expect(page.getByRole('button', { name: 'Send', exact: true })).toBeInViewport();
    await card.getByRole('button', { name: 'Remove attachment', exact: true }).click();
    await expect(card).toHaveCount(0);
  });

  await test.step('held at the network, the upload shows a progress bar and a cancel button', async () => {
    let held: () => void = () => {};
    const release = new Promise<void>((resolve) => (held = resolve));
    await page.route('**/api/uploads?kind=*', async (route) => {
      await release;
      await route.abort().catch(() => undefined);
    });
    await page
      .getByTestId('attach-input')
      .setInputFiles({ name: 'held.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Never sent');
    await page.keyboard.press('Enter');
    const row = messagesIn(log, 'Never sent');
    await expect(row.getByRole('progressbar', { name: 'Uploading held.png' })).toBeVisible();
    await expect(row.getByRole('img', { name: 'held.png' })).toBeVisible();
    await expectNoViolations(page, 'a message whose image is uploading');
    await row.getByRole('button', { name: 'Cancel upload', exact: true }).click();
    await expect(row).toHaveCount(0);
    held();
    await page.unroute('**/api/uploads?kind=*');
  });

  await test.step('refused by the server, the message says why and can be discarded', async () => {
    await page.route('**/api/uploads?kind=*', (route) =>
      route.fulfill({
        status: 415,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'upload/unsupported_type', message: 'not an image' } }),
      }),
    );
    await page
      .getByTestId('attach-input')
      .setInputFiles({ name: 'odd.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Refused');
    await page.keyboard.press('Enter');
    const row = messagesIn(log, 'Refused');
    await expect(row).toHaveAttribute('data-state', 'failed');
    await expect(row.getByRole('alert')).toContainText('That file is not a supported image');
    // The same file would be refused again: discarding is offered, retrying is not.
    await expect(row.getByRole('button', { name: 'Retry', exact: true })).toHaveCount(0);
    await row.getByRole('button', { name: 'Discard', exact: true }).click();
    await expect(row).toHaveCount(0);
  });
});

test('an image without a caption is announced to a screen reader as a photo, not by its file name', async ({
  chat: { ada, grace },
}) => {
  // Grace reads the conversation, so what arrives is announced to her (the log's polite live region).
  await conversationLink(grace.page, ada.displayName).click();
  await expect(messageLog(grace.page, ada.displayName)).toBeVisible();
  const png = await drawPng(ada.page);
  await ada.page
    .getByTestId('attach-input')
    .setInputFiles({ name: 'IMG_20261206_0942.png', mimeType: 'image/png', buffer: png });
  await ada.page.keyboard.press('Enter');
  await expect(
    messageLog(grace.page, ada.displayName).getByRole('button', { name: /^View image/ }),
  ).toBeVisible();
  // The sidebar's words for it ("Photo"), not a camera's file name read out letter by letter.
  await expect(grace.page.getByTestId('message-announcement')).toHaveText(`${ada.displayName}: Photo`);
});
