// What a person can see of a message log: which stored messages are inside its scrolled viewport.
import type { Locator } from '@playwright/test';

export interface LogView {
  /** Seqs of stored messages with any part inside the viewport, top to bottom. */
  touching: number[];
  /** Seqs of stored messages whose row lies wholly inside the viewport, top to bottom. */
  whole: number[];
}

/**
 * Waits until the log has stopped scrolling (its scrollTop the same for three animation frames), then
 * reports which stored messages (`[data-seq]` rows) are inside its viewport, from their client rects.
 */
export async function settledView(log: Locator): Promise<LogView> {
  return log.evaluate(async (scroller) => {
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    let still = 0;
    let last = scroller.scrollTop;
    while (still < 3) {
      await frame();
      still = scroller.scrollTop === last ? still + 1 : 0;
      last = scroller.scrollTop;
    }
    const box = scroller.getBoundingClientRect();
    const top = box.top + scroller.clientTop;
    const bottom = top + scroller.clientHeight;
    const view: { touching: number[]; whole: number[] } = { touching: [], whole: [] };
    const rows = Array.from(scroller.querySelectorAll('[data-testid=message][data-seq]'))
      .map((row) => ({ seq: Number(row.getAttribute('data-seq')), rect: row.getBoundingClientRect() }))
      .sort((a, b) => a.rect.top - b.rect.top);
    for (const { seq, rect } of rows) {
      if (rect.bottom > top && rect.top < bottom) view.touching.push(seq);
      // Half a pixel for fractional layout.
      if (rect.top >= top - 0.5 && rect.bottom <= bottom + 0.5) view.whole.push(seq);
    }
    return view;
  });
}
