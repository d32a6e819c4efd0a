import type { Database } from 'emoji-picker-element';
// The same data the picker uses, served from our own origin: shortcodes are English (emojibase), as
// in Slack, GitHub and Zulip, whatever the UI language.
import emojiDataEn from 'emoji-picker-element-data/en/emojibase/data.json?url';
import { nextTick, ref, type Ref } from 'vue';
import {
  completedShortcodeAt,
  replaceRange,
  shortcodeQueryAt,
  type CompletedShortcode,
  type ShortcodeQuery,
} from '@/lib/emojiText';

/** One emoji offered for a `:shortcode` being typed. */
export interface EmojiSuggestion {
  unicode: string;
  /** The shortcode shown next to it, without colons: the one that matched, or its first. */
  shortcode: string;
}

const SUGGESTIONS_MAX = 8;

let database: Promise<Database> | null = null;

/** emoji-picker-element's database (IndexedDB, shared with the picker), loaded on first use. */
function emojiDatabase(): Promise<Database> {
  database ??= import('emoji-picker-element/database.js').then(
    ({ default: EmojiDatabase }) => new EmojiDatabase({ dataSource: emojiDataEn, locale: 'en' }),
  );
  return database;
}

/**
 * Emoji whose shortcode starts with `query` first (":thu" → 👍 thumbsup), then those whose name or
 * tags match it, at most SUGGESTIONS_MAX.
 */
export async function suggestEmoji(query: string): Promise<EmojiSuggestion[]> {
  const found = await (await emojiDatabase()).getEmojiBySearchQuery(query);
  const suggestions = found.flatMap((emoji) =>
    'unicode' in emoji
      ? [
          {
            unicode: emoji.unicode,
            shortcode:
              emoji.shortcodes?.find((code) => code.startsWith(query)) ?? emoji.shortcodes?.[0] ?? '',
            byShortcode: emoji.shortcodes?.some((code) => code.startsWith(query)) ?? false,
          },
        ]
      : [],
  );
  return suggestions
    .filter((suggestion) => suggestion.shortcode !== '')
    .sort((a, b) => Number(b.byShortcode) - Number(a.byShortcode))
    .slice(0, SUGGESTIONS_MAX)
    .map(({ unicode, shortcode }) => ({ unicode, shortcode }));
}

/**
 * `:shortcode` autocomplete for a textarea bound to `text`, and a `:shortcode:` typed whole replaced
 * by its emoji. Call `update(true)` after input, `update()` after clicks and caret moves; `onKeydown` first in the textarea's keydown (it returns true when it used the key:
 * arrows move, Enter or Tab picks, Escape closes). `suggestions` and `active` are what the list shows.
 * Picking counts towards the picker's "frequently used".
 */
export function useEmojiShortcodes(textarea: Ref<HTMLTextAreaElement | null>, text: Ref<string>) {
  const suggestions = ref<EmojiSuggestion[]>([]);
  const active = ref(0);
  let typed: ShortcodeQuery | null = null;
  let asked = 0;

  function close(): void {
    typed = null;
    asked += 1;
    suggestions.value = [];
  }

  /** `fromInput`: after input, when a `:shortcode:` just closed becomes its emoji (not after caret moves). */
  async function update(fromInput = false): Promise<void> {
    const element = textarea.value;
    const completed =
      fromInput && element && element.selectionStart === element.selectionEnd
        ? completedShortcodeAt(text.value, element.selectionStart)
        : null;
    if (completed && element) return replaceCompleted(element, completed);
    const query = element ? shortcodeQueryAt(text.value, element.selectionStart) : null;
    if (!query || element?.selectionStart !== element?.selectionEnd) return close();
    typed = query;
    const ticket = (asked += 1);
    try {
      const found = await suggestEmoji(query.query);
      if (ticket !== asked) return;
      suggestions.value = found;
      active.value = 0;
    } catch (error) {
      console.warn('emoji suggestions failed', error);
      close();
    }
  }

  /**
   * `:smile:` typed whole becomes 😄 when it is a shortcode, once the lookup answers. The person may
   * have typed on meanwhile, and an earlier shortcode may have been replaced: this one is replaced
   * where it stands then, and the caret keeps its place in what they typed.
   */
  async function replaceCompleted(
    element: HTMLTextAreaElement,
    completed: CompletedShortcode,
  ): Promise<void> {
    close();
    const typedWhole = `:${completed.code}:`;
    let unicode: string | null = null;
    try {
      const emoji = await (await emojiDatabase()).getEmojiByShortcode(completed.code);
      unicode = emoji && 'unicode' in emoji ? emoji.unicode : null;
    } catch (error) {
      console.warn('emoji shortcode lookup failed', error);
    }
    // Where it stands now: an earlier shortcode replaced meanwhile (its lookup answered later than
    // this one was typed) moved it towards the start, never past where it was typed.
    const start = text.value.toLowerCase().lastIndexOf(typedWhole, completed.start);
    if (!unicode || start < 0) return;
    const end = start + typedWhole.length;
    const caret = element.selectionStart;
    text.value = replaceRange(text.value, start, end, unicode).text;
    // Setting the value moves the caret to the end: put it back once Vue has written it, before the
    // next key (a task) can land anywhere.
    await nextTick();
    const moved = caret >= end ? caret - typedWhole.length + unicode.length : caret;
    if (document.activeElement === element) element.setSelectionRange(moved, moved);
  }

  function choose(index: number): void {
    const suggestion = suggestions.value[index];
    const element = textarea.value;
    if (!suggestion || !typed || !element) return;
    const { text: next, caret } = replaceRange(
      text.value,
      typed.start,
      element.selectionStart,
      suggestion.unicode,
    );
    text.value = next;
    close();
    requestAnimationFrame(() => {
      element.focus();
      element.setSelectionRange(caret, caret);
    });
    void emojiDatabase().then((db) => db.incrementFavoriteEmojiCount(suggestion.unicode));
  }

  function onKeydown(event: KeyboardEvent): boolean {
    const count = suggestions.value.length;
    if (count === 0 || event.isComposing) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      active.value = (active.value + (event.key === 'ArrowDown' ? 1 : count - 1)) % count;
    } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      choose(active.value);
    } else if (event.key === 'Escape') {
      close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  return { suggestions, active, update, choose, close, onKeydown };
}
