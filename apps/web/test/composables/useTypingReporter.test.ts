import { TYPING_REFRESH_MS } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, ref } from 'vue';
import { useTypingReporter } from '@/composables/useTypingReporter';
import { useConnectionStore } from '@/stores/connection';
import { attachFakeClient } from '../fixtures';

const typing = vi.fn(async (_conversationId: number, _typing: boolean) => ({
  ok: true as const,
  data: null,
}));

describe('reporting that we type', () => {
  let now = 0;
  let scope = effectScope();
  beforeEach(() => {
    setActivePinia(createPinia());
    typing.mockClear();
    attachFakeClient({ typing });
    now = 1_000_000;
    scope = effectScope();
  });
  afterEach(() => scope.stop());

  function reporter(conversationId = ref(1)) {
    return scope.run(() =>
      useTypingReporter(
        () => conversationId.value,
        () => now,
      ),
    )!;
  }

  it(`sends typing:start when typing begins and again at most every ${TYPING_REFRESH_MS} ms`, () => {
    const report = reporter();
    report.changed('h');
    now += 1000;
    report.changed('he');
    now += TYPING_REFRESH_MS - 1000 - 1;
    report.changed('hel');
    expect(typing.mock.calls).toEqual([[1, true]]);

    now += 1;
    report.changed('hell');
    expect(typing.mock.calls).toEqual([
      [1, true],
      [1, true],
    ]);
  });

  it('sends typing:stop when the text is cleared, once', () => {
    const report = reporter();
    report.changed('hi');
    report.changed('   ');
    report.changed('');
    report.stop();
    expect(typing.mock.calls).toEqual([
      [1, true],
      [1, false],
    ]);
  });

  it('sends typing:stop for the previous conversation when switching to another', () => {
    const conversationId = ref(1);
    const report = reporter(conversationId);
    report.changed('hi');
    conversationId.value = 2;
    scope.run(() => undefined);
    return Promise.resolve().then(() => {
      expect(typing.mock.calls).toEqual([
        [1, true],
        [1, false],
      ]);
    });
  });

  it('starts again at once for the next message after a send', () => {
    const report = reporter();
    report.changed('ok');
    report.stop(); // sent
    now += 200;
    report.changed('s');
    expect(typing.mock.calls).toEqual([
      [1, true],
      [1, false],
      [1, true],
    ]);
  });

  it('sends nothing while the server has asked us to slow down', () => {
    useConnectionStore().setRateLimited(5000, now);
    const report = reporter();
    report.changed('hi');
    report.stop();
    expect(typing).not.toHaveBeenCalled();
  });

  it('sends typing:stop on send or blur only if typing:start was sent', () => {
    const report = reporter();
    report.stop();
    expect(typing).not.toHaveBeenCalled();
    report.changed('hi');
    report.stop();
    expect(typing.mock.calls).toEqual([
      [1, true],
      [1, false],
    ]);
  });
});
