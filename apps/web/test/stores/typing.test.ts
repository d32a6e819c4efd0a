import { TYPING_EXPIRY_MS, TYPING_REFRESH_MS } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useTypingStore } from '@/stores/typing';

describe('typing store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('lists who is typing, in the order they started', () => {
    const store = useTypingStore();
    store.apply({ conversationId: 1, userId: 2, typing: true });
    store.apply({ conversationId: 1, userId: 3, typing: true });
    store.apply({ conversationId: 1, userId: 2, typing: true });
    store.apply({ conversationId: 2, userId: 4, typing: true });
    expect(store.typingIn(1)).toEqual([2, 3]);
    expect(store.typingIn(2)).toEqual([4]);
  });

  it(`drops an indicator not refreshed for ${TYPING_EXPIRY_MS} ms, and keeps one that is`, () => {
    const store = useTypingStore();
    store.apply({ conversationId: 1, userId: 2, typing: true });
    store.apply({ conversationId: 1, userId: 3, typing: true });

    vi.advanceTimersByTime(TYPING_REFRESH_MS);
    store.apply({ conversationId: 1, userId: 3, typing: true });
    vi.advanceTimersByTime(TYPING_EXPIRY_MS - TYPING_REFRESH_MS);
    expect(store.typingIn(1)).toEqual([3]);

    vi.advanceTimersByTime(TYPING_REFRESH_MS - 1);
    expect(store.typingIn(1)).toEqual([3]);
    vi.advanceTimersByTime(1);
    expect(store.typingIn(1)).toEqual([]);
  });

  it('drops an indicator on typing:stop and when that person’s message arrives', () => {
    const store = useTypingStore();
    store.apply({ conversationId: 1, userId: 2, typing: true });
    store.apply({ conversationId: 1, userId: 3, typing: true });

    store.apply({ conversationId: 1, userId: 2, typing: false });
    expect(store.typingIn(1)).toEqual([3]);

    store.stopped(1, 3);
    expect(store.typingIn(1)).toEqual([]);
  });
});
