import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { useComposerDrafts } from '@/components/message/composerDrafts';

describe('composer drafts', () => {
  const drafts = useComposerDrafts();

  beforeEach(() => {
    vi.useFakeTimers();
    localStorage.clear();
  });
  afterEach(() => {
    drafts.reset();
    vi.useRealTimers();
  });

  /** Lets the watcher see the change and the save's delay pass. */
  const settle = async () => {
    await nextTick();
    vi.advanceTimersByTime(1_000);
  };

  it('keeps a half-written text per user across a reload, and gives it back only to that user', async () => {
    drafts.restore(1);
    drafts.texts.set(5, 'half a thought');
    drafts.texts.set(6, '   ');
    await settle();
    expect(JSON.parse(localStorage.getItem('parley.drafts.1')!)).toEqual({ 5: 'half a thought' });

    // A reload: memory is gone, storage is not.
    drafts.reset();
    expect(drafts.texts.size).toBe(0);
    drafts.restore(2);
    expect([...drafts.texts]).toEqual([]);
    drafts.reset();
    drafts.restore(1);
    expect([...drafts.texts]).toEqual([[5, 'half a thought']]);

    // Sent (the composer empties it): nothing left to keep.
    drafts.texts.delete(5);
    await settle();
    expect(localStorage.getItem('parley.drafts.1')).toBeNull();
  });

  it('saves what was typed just before signing out, and ignores what it cannot read', async () => {
    drafts.restore(3);
    drafts.texts.set(9, 'typed then signed out');
    await nextTick();
    drafts.reset();
    expect(JSON.parse(localStorage.getItem('parley.drafts.3')!)).toEqual({ 9: 'typed then signed out' });

    localStorage.setItem('parley.drafts.4', '{"7": 12, "x": "no", "8": "ok"');
    drafts.restore(4);
    expect([...drafts.texts]).toEqual([]);
    drafts.reset();
    localStorage.setItem('parley.drafts.4', '{"7": 12, "x": "no", "0": "zero", "8": "ok"}');
    drafts.restore(4);
    expect([...drafts.texts]).toEqual([[8, 'ok']]);
  });
});
