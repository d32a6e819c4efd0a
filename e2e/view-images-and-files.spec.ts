import type { Locator, Page } from '@playwright/test';
import {
  conversationLink,
  expect,
  expectNoViolations,
  messageLog,
  messagesIn,
  openDirectConversation,
  test,
  type SignedInUser,
} from './fixtures.js';
import { forEachScreen, screenshotPath } from './screenshots.js';
import { drawnJpeg, openConversationId, sendMessagesThroughSocket, uploadThroughApi } from './seed.js';

// Two people sign up, upload four files and run axe-core several times on a shared two-core machine.
test.describe.configure({ timeout: 120_000 });

/** A small but real PDF: one empty page. */
const MINUTES_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/**
 * Ada sends Grace two photos and the minutes as a PDF, and Grace answers with a photo of her own:
 * uploaded over HTTP and sent over a socket, as the composer will do, so this spec does not depend on it.
 */
async function seedConversation(ada: SignedInUser, grace: SignedInUser): Promise<number> {
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  const jpeg = (page: Page, name: string, options: Parameters<typeof drawnJpeg>[1]) =>
    drawnJpeg(page, options).then((buffer) => ({ name, mimeType: 'image/jpeg', buffer }));
  const lighthouse = await uploadThroughApi(
    ada,
    'image',
    await jpeg(ada.page, 'lighthouse.jpg', {
      width: 1600,
      height: 1200,
      hues: [28, 250],
      label: 'Lighthouse',
    }),
  );
  const harbour = await uploadThroughApi(
    ada,
    'image',
    await jpeg(ada.page, 'harbour.jpg', { width: 900, height: 1400, hues: [190, 230], label: 'Harbour' }),
  );
  const minutes = await uploadThroughApi(ada, 'file', {
    name: 'minutes-2026-12-01.pdf',
    mimeType: 'application/pdf',
    buffer: MINUTES_PDF,
  });
  await sendMessagesThroughSocket(ada, conversationId, [
    'Photos from Sunday’s walk 📸',
    { text: 'The lighthouse at dusk', attachmentId: lighthouse.id },
    { text: '', attachmentId: harbour.id },
    { text: 'And the minutes from Tuesday', attachmentId: minutes.id },
  ]);
  const pier = await uploadThroughApi(
    grace,
    'image',
    await jpeg(grace.page, 'pier.jpg', { width: 1200, height: 800, hues: [140, 200], label: 'Pier' }),
  );
  await sendMessagesThroughSocket(grace, conversationId, [
    { text: 'Lovely! Mine from the pier', attachmentId: pier.id },
  ]);
  return conversationId;
}

function thumbnail(scope: Page | Locator, name: string): Locator {
  return scope.getByRole('button', { name: `View image: ${name}`, exact: true });
}

/** The width of the image inside `scope` once the browser has decoded it (0 until then). */
function naturalWidth(image: Locator): Promise<number> {
  return image.evaluate((element: HTMLImageElement) => (element.complete ? element.naturalWidth : 0));
}

test('images show as thumbnails that open a viewer, and a file downloads without opening', async ({
  signUp,
  browser,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  await seedConversation(ada, grace);

  // Thumbnails wait at a barrier, so what the list shows before one arrives can be measured.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await grace.page.route('**/api/uploads/*/thumbnail', async (route) => {
    await released;
    await route.continue();
  });

  const page = grace.page;
  // Grace's page records what the Content-Security-Policy refuses (placeholders are data: URLs).
  await grace.context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener(
      'securitypolicyviolation',
      (event) => seen.push(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`),
      true,
    );
  });
  await page.reload();
  await conversationLink(page, ada.displayName).click();
  const log = messageLog(page, ada.displayName);
  const lighthouse = thumbnail(log, 'The lighthouse at dusk');
  await expect(lighthouse).toBeVisible();
  await expect(thumbnail(log, 'harbour.jpg')).toBeVisible();

  // Sized from the stored dimensions (1600×1200 into 320×320) with the placeholder showing: the row
  // keeps its height when the thumbnail arrives, so the virtualised list never jumps.
  const before = await lighthouse.boundingBox();
  expect(before).toMatchObject({ width: 320, height: 240 });
  expect(await lighthouse.evaluate((element) => getComputedStyle(element).backgroundImage)).toContain(
    'data:image/',
  );
  const pierRow = messagesIn(log, 'Lovely! Mine from the pier');
  const pierTop = (await pierRow.boundingBox())!.y;
  release();
  await expect.poll(() => naturalWidth(lighthouse.getByRole('img'))).toBeGreaterThan(0);
  await expect.poll(() => naturalWidth(thumbnail(log, 'harbour.jpg').getByRole('img'))).toBeGreaterThan(0);
  expect(await lighthouse.boundingBox()).toEqual(before);
  expect((await pierRow.boundingBox())!.y).toBe(pierTop);
  await expectNoViolations(page, 'a conversation with image and file messages');

  // The viewer: the full image, named after the file, with who sent it.
  await lighthouse.click();
  const viewer = page.getByRole('dialog', { name: 'lighthouse.jpg' });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByText(/^Ada Lovelace · /)).toBeVisible();
  const full = viewer.getByTestId('image-viewer-image');
  await expect(full).toHaveAttribute('data-loaded', 'true');
  expect(await naturalWidth(full)).toBe(1600);
  await expectNoViolations(page, 'the image viewer');

  // Next and previous through the conversation's images, buttons and arrow keys, stopping at the ends.
  await expect(viewer.getByRole('button', { name: 'Previous image' })).toBeDisabled();
  await viewer.getByRole('button', { name: 'Next image' }).click();
  await expect(page.getByRole('dialog', { name: 'harbour.jpg' })).toBeVisible();
  await page.keyboard.press('ArrowRight');
  const pier = page.getByRole('dialog', { name: 'pier.jpg' });
  await expect(pier).toBeVisible();
  await expect(pier.getByText(/^Grace Hopper · /)).toBeVisible();
  await expect(pier.getByRole('button', { name: 'Next image' })).toBeDisabled();
  await page.keyboard.press('ArrowLeft');
  await page
    .getByRole('dialog', { name: 'harbour.jpg' })
    .getByRole('button', { name: 'Previous image' })
    .click();
  await expect(viewer).toBeVisible();

  // Zoom: keys, buttons, the wheel and a double click; dragging pans a zoomed image.
  const level = viewer.getByTestId('image-viewer-zoom-level');
  const zoomed = viewer.getByTestId('image-viewer-zoom');
  await expect(level).toHaveText('100%');
  await page.keyboard.press('+');
  await expect(level).toHaveText('150%');
  await viewer.getByRole('button', { name: 'Zoom in' }).click();
  await expect(level).toHaveText('225%');
  await viewer.getByRole('button', { name: 'Zoom out' }).click();
  await expect(level).toHaveText('150%');
  await page.keyboard.press('0');
  await expect(level).toHaveText('100%');
  const stage = viewer.getByTestId('image-viewer-stage');
  const box = (await stage.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -300);
  await expect.poll(async () => Number(await zoomed.getAttribute('data-scale'))).toBeGreaterThan(1.5);
  await page.keyboard.press('0');
  await stage.dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
  await expect(level).toHaveText('250%');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2 - 60, { steps: 5 });
  await page.mouse.up();
  await expect(zoomed).toHaveCSS('transform', /matrix\(2\.5, 0, 0, 2\.5, -\d/);

  // Escape closes, and focus is back on the thumbnail.
  await page.keyboard.press('Escape');
  await expect(viewer).toBeHidden();
  await expect(lighthouse).toBeFocused();

  // The keyboard opens it too.
  await page.keyboard.press('Enter');
  await expect(viewer).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(lighthouse).toBeFocused();

  // The file: a card with its size and type that downloads under its own name and never opens in the page.
  const card = log.getByRole('link', { name: /minutes-2026-12-01\.pdf/ });
  await expect(card).toContainText(`${MINUTES_PDF.length} bytes · PDF`);
  const url = page.url();
  const [download] = await Promise.all([page.waitForEvent('download'), card.click()]);
  expect(download.suggestedFilename()).toBe('minutes-2026-12-01.pdf');
  expect(page.url()).toBe(url);
  const served = await page.request.get((await card.getAttribute('href'))!);
  expect(served.headers()['content-disposition']).toMatch(/^attachment;/);

  expect(
    await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations),
  ).toEqual([]);

  // The dark theme: the cards and thumbnails on dark bubbles.
  const dark = await browser.newContext({
    colorScheme: 'dark',
    storageState: await grace.context.storageState(),
  });
  try {
    const darkPage = await dark.newPage();
    await darkPage.goto(page.url());
    await expect(thumbnail(messageLog(darkPage, ada.displayName), 'The lighthouse at dusk')).toBeVisible();
    await expectNoViolations(darkPage, 'image and file messages in the dark theme');
  } finally {
    await dark.close();
  }
});

test('screenshots of image and file messages and of the viewer, on desktop and phone, in English and Chinese', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  await seedConversation(ada, grace);
  const page = grace.page;
  await conversationLink(page, ada.displayName).click();

  await forEachScreen(page, async ({ locale, device, suffix }) => {
    const log = page.getByRole('log');
    const images = log.locator('[data-testid=image-attachment] img');
    await expect(images).toHaveCount(3);
    for (const image of await images.all()) await expect.poll(() => naturalWidth(image)).toBeGreaterThan(0);
    // The newest messages, with nothing hovered or focused (a focused row shows its toolbar).
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await log.evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
    const jumpToLatest = locale === 'en' ? 'Jump to latest messages' : '跳到最新消息';
    await expect(page.getByRole('button', { name: jumpToLatest })).toBeHidden();
    await page.screenshot({ path: screenshotPath(`media-${device}${suffix}`), animations: 'disabled' });

    await log.locator('[data-testid=image-attachment]').first().click();
    const viewer = page.getByRole('dialog');
    await expect(viewer.getByTestId('image-viewer-image')).toHaveAttribute('data-loaded', 'true');
    await page.screenshot({
      path: screenshotPath(`image-viewer-${device}${suffix}`),
      animations: 'disabled',
    });
    if (device === 'phone') await expectNoViolations(page, `the image viewer on a phone (${locale})`);
    await page.keyboard.press('Escape');
    await expect(viewer).toBeHidden();
  });
});
