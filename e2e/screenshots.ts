import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expectNoViolations, switchLocale, VIEWPORTS, type AppLocale } from './fixtures.js';

/**
 * Where specs save their screenshots: docs/screenshots when PARLEY_UPDATE_SCREENSHOTS=1 (the pictures
 * of the README and docs), and the run's artifacts otherwise, so an ordinary run never rewrites
 * tracked files.
 */
const SCREENSHOT_DIR = fileURLToPath(
  new URL(
    process.env.PARLEY_UPDATE_SCREENSHOTS ? '../docs/screenshots/' : './.artifacts/screenshots/',
    import.meta.url,
  ),
);

/**
 * The path to save screenshot `<name>.png` at (`chat-desktop.zh-CN`, say); its folder exists once this
 * returns.
 */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return `${SCREENSHOT_DIR}${name}.png`;
}

/** One screen of a set of screenshots: its UI language, its device, and its file-name suffix. */
export interface Screen {
  locale: AppLocale;
  device: keyof typeof VIEWPORTS;
  /** '' in English, `.zh-CN` in Chinese: `chat-desktop.zh-CN.png`. */
  suffix: string;
}

/**
 * Runs `show` on `page` in English, then in Chinese (switched as a person would, which reloads the
 * page), each time on a desktop and then on a phone viewport (VIEWPORTS): the screens every set of
 * screenshots in docs/screenshots covers.
 */
export async function forEachScreen(page: Page, show: (screen: Screen) => Promise<void>): Promise<void> {
  for (const locale of ['en', 'zh-CN'] as const) {
    if (locale !== 'en') await switchLocale(page, locale);
    for (const device of ['desktop', 'phone'] as const) {
      await page.setViewportSize(VIEWPORTS[device]);
      await show({ locale, device, suffix: locale === 'en' ? '' : `.${locale}` });
    }
  }
}

/**
 * Saves `page` as screenshot `<name>-<device><suffix>` and checks it with axe-core
 * (expectNoViolations), on a desktop in the dark theme too. `what` names the screen in a failure.
 */
export async function captureScreen(page: Page, name: string, what: string, screen: Screen): Promise<void> {
  await page.screenshot({
    path: screenshotPath(`${name}-${screen.device}${screen.suffix}`),
    animations: 'disabled',
  });
  await expectNoViolations(page, `${what} on ${screen.device} (${screen.locale})`);
  if (screen.device !== 'desktop') return;
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectNoViolations(page, `${what} in the dark theme (${screen.locale})`);
  await page.emulateMedia({ colorScheme: 'light' });
}
