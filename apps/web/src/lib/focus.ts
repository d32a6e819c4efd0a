/**
 * Where keyboard focus goes when the element that had it is gone: a dialog opened from a toolbar
 * that has since unmounted, a log-in form replaced by the chat. Focus left on `<body>` makes a
 * keyboard or screen-reader user start again from the top of the page (WCAG 2.4.3, focus order).
 */

/** The places to land, best first: the open conversation's composer, then the "New message" button. */
const LANDING_SELECTORS = ['[data-composer]', '[data-new-message]'];

function isShown(element: HTMLElement): boolean {
  return element.getClientRects().length > 0;
}

/** True when nothing in particular has focus (the document body, or nothing at all). */
export function focusIsLost(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body || active === document.documentElement;
}

/**
 * Focuses the first of `preferred` (when given and still in the document) and the landing places
 * that is shown; returns whether one took focus.
 */
export function focusSensibly(preferred?: HTMLElement | null): boolean {
  const candidates = [
    preferred ?? null,
    ...LANDING_SELECTORS.map((selector) => document.querySelector<HTMLElement>(selector)),
  ];
  for (const candidate of candidates) {
    if (!candidate?.isConnected || !isShown(candidate)) continue;
    candidate.focus();
    if (document.activeElement === candidate) return true;
  }
  return false;
}
