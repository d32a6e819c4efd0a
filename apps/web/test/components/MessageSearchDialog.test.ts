import { SEARCH_QUERY_MAX } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import MessageSearchDialog from '@/components/search/MessageSearchDialog.vue';
import { i18n } from '@/i18n';
import { useMessagesStore } from '@/stores/messages';
import { useSessionStore } from '@/stores/session';
import { alice, makeMessage, stubFetch } from '../fixtures';

async function openDialog() {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: {} }] });
  const wrapper = mount(MessageSearchDialog, {
    attachTo: document.body,
    global: { plugins: [i18n, router] },
  });
  await wrapper.get('[data-message-search]').trigger('click');
  await flushPromises();
  const input = document.querySelector<HTMLInputElement>('[data-testid="message-search-input"]')!;
  return { wrapper, input };
}

describe('the message search dialog', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    stubFetch(() => ({ status: 200, body: { messages: [], nextBefore: null } }));
  });
  afterEach(() => vi.unstubAllGlobals());

  it('says how much a query holds near its limit, where maxlength would cut a pasted one without a word', async () => {
    const { input } = await openDialog();
    expect(input.maxLength).toBe(SEARCH_QUERY_MAX);
    const dialog = () => document.querySelector('[role="dialog"]')!;
    input.value = 'harbour';
    input.dispatchEvent(new Event('input'));
    await flushPromises();
    expect(dialog().textContent).not.toContain(`of ${SEARCH_QUERY_MAX}`);

    // What is left of a longer text pasted in: the browser keeps the first SEARCH_QUERY_MAX units.
    input.value = 'x'.repeat(SEARCH_QUERY_MAX);
    input.dispatchEvent(new Event('input'));
    await flushPromises();
    const count = dialog().querySelector('[data-testid="field-length-count"]');
    expect(count?.textContent?.trim()).toBe(`${SEARCH_QUERY_MAX} of ${SEARCH_QUERY_MAX}`);
    expect(input.getAttribute('aria-describedby')?.split(' ')).toContain(count?.id);
  });

  it('hands focus on to the next result when the focused one leaves the results', async () => {
    const found = [30, 20].map((id) => makeMessage({ seq: id, id, text: `harbour ${id}` }));
    stubFetch(() => ({ status: 200, body: { messages: found, nextBefore: null } }));
    const { input } = await openDialog();
    input.value = 'harbour';
    input.dispatchEvent(new Event('input'));
    input.form!.dispatchEvent(new Event('submit'));
    await flushPromises();
    const results = () => [
      ...document.querySelectorAll<HTMLElement>('[data-testid="message-search-result"]'),
    ];
    expect(results()).toHaveLength(2);
    results()[0]!.focus();
    useMessagesStore().show({ ...found[0]!, text: '', deletedAt: '2026-01-03T00:00:00.000Z', changeSeq: 99 });
    await flushPromises();
    expect(results().map((result) => result.textContent)).toEqual([expect.stringContaining('harbour 20')]);
    expect(document.activeElement).toBe(results()[0]);
  });
});
