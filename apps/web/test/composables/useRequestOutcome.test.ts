import { ErrorCode } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { ApiRequestError } from '@/api/http';
import { useRequestOutcome } from '@/composables/useRequestOutcome';
import { i18n } from '@/i18n';
import { replacedRow } from '@/lib/rows';

function requestOutcome() {
  let outcome!: ReturnType<typeof useRequestOutcome>;
  mount(
    defineComponent({
      setup() {
        outcome = useRequestOutcome();
        return () => null;
      },
    }),
    { global: { plugins: [i18n] } },
  );
  return outcome;
}

describe('the outcome of a screen’s latest request', () => {
  it('puts a refusal in the reader’s words instead of rejecting', async () => {
    const outcome = requestOutcome();
    await outcome.run(async () => {
      throw new ApiRequestError(ErrorCode.Forbidden, 'forbidden', 403);
    });
    expect(outcome.error.value).toBe('Your role in this group does not allow that.');
  });

  it('clears the last error and confirmation when the next request starts', async () => {
    const outcome = requestOutcome();
    await outcome.run(async () => {
      outcome.saved.value = true;
    });
    expect(outcome.saved.value).toBe(true);
    await outcome.run(async () => {
      throw new ApiRequestError(ErrorCode.Forbidden, 'forbidden', 403);
    });
    expect(outcome.saved.value).toBe(false);
    let seen: { error: string | null; saved: boolean } | null = null;
    await outcome.run(async () => {
      seen = { error: outcome.error.value, saved: outcome.saved.value };
    });
    expect(seen).toEqual({ error: null, saved: false });
    expect(outcome.error.value).toBeNull();
  });
});

describe('replacing one row of a list', () => {
  it('swaps the row of the same id and keeps the others and their order', () => {
    const rows = [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
    ];
    expect(replacedRow(rows, { id: 2, name: 'B' })).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 3, name: 'c' },
    ]);
    expect(rows[1]).toEqual({ id: 2, name: 'b' });
  });
});
