import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import {
  accountMenu,
  conversationLink,
  expect,
  expectNoViolations,
  makeSiteAdmin,
  messageLog,
  openDirectConversation,
  test,
} from './fixtures.js';

// Recording through Chromium's fake microphone (--use-fake-device-for-media-stream and
// --use-fake-ui-for-media-stream in playwright.config.ts: a beep every second, no prompt), ffmpeg on
// the server, and axe-core, on a shared two-core machine.
test.describe.configure({ timeout: 120_000 });

// Screenshots for the docs go to docs/screenshots when PARLEY_UPDATE_SCREENSHOTS=1 (see group-chat.spec.ts).
const SCREENSHOT_DIR = fileURLToPath(
  new URL(
    process.env.PARLEY_UPDATE_SCREENSHOTS ? '../docs/screenshots/' : './.artifacts/screenshots/',
    import.meta.url,
  ),
);

/** The server's answer to the recording's upload, once the outbox has sent it. */
function voiceUpload(page: Page): Promise<{ upload: { id: string; durationMs: number } }> {
  return page
    .waitForResponse(
      (response) =>
        response.request().method() === 'POST' && response.url().includes('/api/uploads?kind=voice'),
    )
    .then(async (response) => {
      expect(response.status()).toBe(201);
      return (await response.json()) as { upload: { id: string; durationMs: number } };
    });
}

/**
 * Plays a voice message's audio element and resolves with its duration (ms) once it is playing. The
 * play button when the message shows Parley's VoicePlayer, else the element itself.
 */
async function playVoice(message: Locator): Promise<number> {
  const audio = message.locator('audio');
  const playing = audio.evaluate(
    (element: HTMLAudioElement) =>
      new Promise<number>((resolve, reject) => {
        if (!element.paused && element.readyState >= 3) resolve(element.duration * 1000);
        element.addEventListener('playing', () => resolve(element.duration * 1000), { once: true });
        element.addEventListener('error', () => reject(new Error(`cannot play ${element.currentSrc}`)), {
          once: true,
        });
      }),
  );
  const button = message.getByRole('button', { name: 'Play voice message' });
  if ((await button.count()) > 0) await button.click();
  else await audio.evaluate((element: HTMLAudioElement) => element.play());
  return playing;
}

test('a refused microphone says what to do, and the composer is not left recording', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;
  await openDirectConversation(page, grace);
  // As when the person clicked "Block" in the browser's prompt (or blocked the site before).
  await page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });

  await page.getByRole('button', { name: 'Record a voice message' }).click();
  const problem = page.getByTestId('voice-problem');
  await expect(problem).toContainText('Parley may not use your microphone');
  await expect(problem).toContainText('then try again');
  // Nothing is left half-open: the microphone button is back, no timer, the composer types.
  await expect(page.getByRole('button', { name: 'Record a voice message' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel recording' })).toBeHidden();
  await expect(page.getByTestId('voice-timer')).toBeHidden();
  await expectNoViolations(page, 'the composer with a refused microphone');
  await problem.getByRole('button', { name: 'Dismiss' }).click();
  await expect(problem).toBeHidden();
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill('Text it is, then.');
  await expect(page.getByRole('button', { name: 'Record a voice message' })).toBeHidden();
});

test('switching conversation while recording stops it, sends nothing and says so', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const linus = await signUp('linus');
  const page = ada.page;
  await openDirectConversation(page, linus);
  await openDirectConversation(page, grace);
  await page.getByRole('button', { name: 'Record a voice message' }).click();
  await expect(page.getByTestId('voice-timer')).toBeVisible();
  let uploads = 0;
  page.on('request', (request) => {
    if (request.url().includes('/api/uploads')) uploads += 1;
  });
  await conversationLink(page, linus.displayName).click();
  await expect(page.getByText(/the recording was stopped and not sent/).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Record a voice message' })).toBeVisible();
  expect(uploads).toBe(0);
});

test('record a voice message, send it, and the other person plays it', async ({ signUp }) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  await openDirectConversation(ada.page, grace);
  await conversationLink(grace.page, ada.displayName).click();
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  const page = ada.page;
  await page.getByRole('button', { name: 'Record a voice message' }).click();
  const timer = page.getByTestId('voice-timer');
  await expect(timer).toBeVisible();
  // The level meter moves with the fake microphone's beeps.
  const meter = page.getByRole('meter', { name: 'Microphone level' });
  await expect
    .poll(async () => Number(await meter.getAttribute('aria-valuenow')), { timeout: 10_000 })
    .toBeGreaterThan(0);
  // Three seconds of the fake microphone's beeps.
  await expect(timer).toContainText(/^0:0[3-9]/, { timeout: 15_000 });
  await expectNoViolations(page, 'the voice recorder');
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${SCREENSHOT_DIR}voice-recorder-desktop.png`, animations: 'disabled' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}voice-recorder-phone.png`, animations: 'disabled' });
  await page.setViewportSize({ width: 1280, height: 800 });

  const uploaded = voiceUpload(page);
  await page.getByRole('button', { name: 'Send voice message' }).click();
  const { upload } = await uploaded;
  expect(upload.durationMs).toBeGreaterThan(2_500);
  await expect(page.getByRole('button', { name: 'Record a voice message' })).toBeVisible();

  const log = messageLog(grace.page, ada.displayName);
  // The voice message's player: the element that holds its audio element.
  const message = log.locator(':has(> audio)').last();
  await expect(message.locator('audio')).toBeAttached();
  const durationMs = await playVoice(message);
  // The element plays the server's rendition: its duration is the one the server measured.
  expect(Math.abs(durationMs - upload.durationMs)).toBeLessThan(250);

  await grace.page.mouse.move(0, 0);
  await grace.page.setViewportSize({ width: 1280, height: 800 });
  await grace.page.screenshot({ path: `${SCREENSHOT_DIR}voice-message-desktop.png`, animations: 'disabled' });
  await grace.page.setViewportSize({ width: 390, height: 844 });
  await grace.page.screenshot({ path: `${SCREENSHOT_DIR}voice-message-phone.png`, animations: 'disabled' });
  await expectNoViolations(grace.page, 'a voice message on a phone');
});

test('the site console’s Server tab says voice messages work and which renditions are made', async ({
  signUp,
}) => {
  const root = await signUp('root');
  await makeSiteAdmin(root);
  const page = root.page;
  await accountMenu(page, root).click();
  await page.getByRole('menuitem', { name: 'Site console' }).click();
  await page.getByRole('tab', { name: 'Server' }).click();
  await expect(page.getByTestId('admin-voice-summary')).toContainText('Voice messages work');
  await expect(page.getByText(/^ffmpeg version /)).toBeVisible();
  await expect(page.getByText('audio/webm (Opus) → audio/mp4 (AAC) (for Safari)')).toBeVisible();
  await expectNoViolations(page, 'the console’s Server tab');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoViolations(page, 'the console’s Server tab on a phone');
});
