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
  switchLocale,
  VIEWPORTS,
} from './fixtures.js';
import { screenshotPath } from './screenshots.js';

// Recording through Chromium's fake microphone (--use-fake-device-for-media-stream and
// --use-fake-ui-for-media-stream in playwright.config.ts: a beep every second, no prompt), ffmpeg on
// the server, and axe-core, on a shared two-core machine.
test.describe.configure({ timeout: 120_000 });

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

/** The names the recorder and the player go by in each UI language (apps/web/src/i18n, `voice`). */
const VOICE_NAMES = {
  en: {
    record: 'Record a voice message',
    level: 'Microphone level',
    send: 'Send voice message',
    play: 'Play voice message',
  },
  'zh-CN': { record: '录制语音消息', level: '麦克风音量', send: '发送语音消息', play: '播放语音消息' },
} as const;
type Locale = keyof typeof VOICE_NAMES;

/** `.zh-CN` in a screenshot's name; nothing for English. */
const suffix = (locale: Locale) => (locale === 'en' ? '' : `.${locale}`);

/**
 * Plays a voice message's audio element and resolves with its duration (ms) once it is playing. The
 * play button when the message shows Parley's VoicePlayer, else the element itself.
 */
async function playVoice(message: Locator, locale: Locale = 'en'): Promise<number> {
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
  const button = message.getByRole('button', { name: VOICE_NAMES[locale].play });
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

const DESKTOP = VIEWPORTS.desktop;
const PHONE = VIEWPORTS.phone;

/**
 * `page` with nothing hovered, at desktop then phone size (left at phone size), as
 * `<name>-desktop<suffix>.png` and `<name>-phone<suffix>.png` (screenshots.ts says where).
 */
async function screenshotDesktopAndPhone(page: Page, name: string, locale: Locale): Promise<void> {
  await page.mouse.move(0, 0);
  for (const [device, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.screenshot({
      path: screenshotPath(`${name}-${device}${suffix(locale)}`),
      animations: 'disabled',
    });
  }
}

/**
 * Records three seconds of the fake microphone's beeps on `page` in the UI language `locale`, checks
 * the recorder with axe, screenshots it (voice-recorder-<device><suffix>.png),
 * sends it, and resolves with the server's answer to its upload.
 */
async function recordAndSend(
  page: Page,
  locale: Locale,
): Promise<{ upload: { id: string; durationMs: number } }> {
  const names = VOICE_NAMES[locale];
  await page.getByRole('button', { name: names.record }).click();
  const timer = page.getByTestId('voice-timer');
  await expect(timer).toBeVisible();
  // The level meter moves with the fake microphone's beeps.
  const meter = page.getByRole('meter', { name: names.level });
  await expect
    .poll(async () => Number(await meter.getAttribute('aria-valuenow')), { timeout: 10_000 })
    .toBeGreaterThan(0);
  await expect(timer).toContainText(/^0:0[3-9]/, { timeout: 15_000 });
  await expectNoViolations(page, `the voice recorder (${locale})`);
  await screenshotDesktopAndPhone(page, 'voice-recorder', locale);
  await page.setViewportSize(DESKTOP);

  const uploaded = voiceUpload(page);
  await page.getByRole('button', { name: names.send }).click();
  const answer = await uploaded;
  expect(answer.upload.durationMs).toBeGreaterThan(2_500);
  await expect(page.getByRole('button', { name: names.record })).toBeVisible();
  return answer;
}

test('record a voice message, send it, and the other person plays it, in English and Chinese', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  await openDirectConversation(ada.page, grace);
  await conversationLink(grace.page, ada.displayName).click();

  const { upload } = await recordAndSend(ada.page, 'en');
  const log = messageLog(grace.page, ada.displayName);
  // A voice message's player: the element that holds its audio element.
  const voiceMessages = log.locator(':has(> audio)');
  await expect(voiceMessages.last().locator('audio')).toBeAttached();
  const durationMs = await playVoice(voiceMessages.last());
  // The element plays the server's rendition: its duration is the one the server measured.
  expect(Math.abs(durationMs - upload.durationMs)).toBeLessThan(250);
  await screenshotDesktopAndPhone(grace.page, 'voice-message', 'en');
  await expectNoViolations(grace.page, 'a voice message on a phone');

  // The same screens in the Chinese UI, chosen as the account menu does (stored, then applied on
  // load), with a second recording.
  for (const page of [ada.page, grace.page]) {
    await switchLocale(page, 'zh-CN');
  }
  await grace.page.setViewportSize(DESKTOP);
  const second = await recordAndSend(ada.page, 'zh-CN');
  await expect(voiceMessages).toHaveCount(2);
  const secondMs = await playVoice(voiceMessages.last(), 'zh-CN');
  expect(Math.abs(secondMs - second.upload.durationMs)).toBeLessThan(250);
  await screenshotDesktopAndPhone(grace.page, 'voice-message', 'zh-CN');
  await expectNoViolations(grace.page, 'a voice message on a phone (zh-CN)');
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
  await page.setViewportSize(VIEWPORTS.phone);
  await expectNoViolations(page, 'the console’s Server tab on a phone');
});
