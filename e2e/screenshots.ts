import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
