import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import MessageActions from '@/components/message/MessageActions.vue';
import { i18n, setLocale } from '@/i18n';
import { useConnectionStore } from '@/stores/connection';

function mountActions(own: boolean) {
  return mount(MessageActions, { props: { own }, global: { plugins: [i18n] } });
}

const buttonNames = (wrapper: ReturnType<typeof mountActions>) =>
  wrapper.findAll('button').map((button) => button.attributes('aria-label'));

describe('the message toolbar', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setLocale('en');
  });

  it('offers reply on anyone’s message, and edit and delete only on our own', () => {
    expect(buttonNames(mountActions(false))).toEqual(expect.not.arrayContaining(['Edit', 'Delete']));
    expect(buttonNames(mountActions(false))).toContain('Reply');
    expect(buttonNames(mountActions(true))).toEqual(expect.arrayContaining(['Reply', 'Edit', 'Delete']));
  });

  it('says which action was pressed', async () => {
    const wrapper = mountActions(true);
    await wrapper.get('button[aria-label="Edit"]').trigger('click');
    await wrapper.get('button[aria-label="Reply"]').trigger('click');
    expect(wrapper.emitted('action')).toEqual([['edit'], ['reply']]);
  });

  it('marks what needs a connection as unavailable while offline, and explains in the tooltip', async () => {
    const connection = useConnectionStore();
    connection.setConnected();
    const wrapper = mountActions(true);
    const edit = wrapper.get('button[aria-label="Edit"]');
    expect(edit.attributes('aria-disabled')).toBeUndefined();
    expect(edit.attributes('title')).toBe('Edit');
    connection.setOnline(false);
    await wrapper.vm.$nextTick();
    expect(edit.attributes('aria-disabled')).toBe('true');
    expect(edit.attributes('title')).not.toBe('Edit');
    expect(wrapper.get('button[aria-label="Reply"]').attributes('aria-disabled')).toBeUndefined();
  });
});
