// A `:shortcode:` typed whole becomes its emoji once emoji-picker-element's database answers; the
// answers come back in their own time, so the text may have changed in between.
import { describe, expect, it, vi } from 'vitest';
import { nextTick, ref } from 'vue';

/** Each lookup waits until the test answers it, in whatever order the test chooses. */
const lookups = new Map<string, (unicode: string | null) => void>();
vi.mock('emoji-picker-element/database.js', () => ({
  default: class {
    getEmojiByShortcode(code: string): Promise<{ unicode: string } | null> {
      return new Promise((resolve) =>
        lookups.set(code, (unicode) => resolve(unicode === null ? null : { unicode })),
      );
    }
  },
}));

const { useEmojiShortcodes } = await import('@/composables/useEmojiShortcodes');

/** A textarea bound to `text`, typed into as a person would: the caret at the end. */
function composer() {
  const element = document.createElement('textarea');
  document.body.append(element);
  element.focus();
  const text = ref('');
  const shortcodes = useEmojiShortcodes(ref(element), text);
  async function type(more: string): Promise<void> {
    text.value += more;
    element.value = text.value;
    element.setSelectionRange(text.value.length, text.value.length);
    await shortcodes.update(true).catch(() => undefined);
  }
  return { element, text, type };
}

/** Lets every pending promise and Vue's queue run. */
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await nextTick();
};

describe('a :shortcode: typed whole', () => {
  it('becomes its emoji even when an earlier one is replaced while its own lookup is out', async () => {
    const { text, type } = composer();
    const typing = [type('Nice :smile:'), type(' and :heart:')];
    await vi.waitFor(() => expect([...lookups.keys()]).toEqual(['smile', 'heart']));
    // The first answers first and shortens the text before the second's place.
    lookups.get('smile')!('😄');
    await settle();
    expect(text.value).toBe('Nice 😄 and :heart:');
    lookups.get('heart')!('❤️');
    await settle();
    await Promise.all(typing);
    expect(text.value).toBe('Nice 😄 and ❤️');
    lookups.clear();
  });

  it('stays text when it is no shortcode, and the caret keeps its place in what was typed after', async () => {
    const { element, text, type } = composer();
    const typing = type(':nosuchemoji:');
    await vi.waitFor(() => expect(lookups.has('nosuchemoji')).toBe(true));
    lookups.get('nosuchemoji')!(null);
    await typing;
    expect(text.value).toBe(':nosuchemoji:');

    const next = type(' :tada:');
    await vi.waitFor(() => expect(lookups.has('tada')).toBe(true));
    await type(' done');
    lookups.get('tada')!('🎉');
    await next;
    await settle();
    expect(text.value).toBe(':nosuchemoji: 🎉 done');
    expect(element.selectionStart).toBe(text.value.length);
    lookups.clear();
  });
});
