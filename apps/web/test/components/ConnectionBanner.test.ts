import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import ConnectionBanner from '@/components/common/ConnectionBanner.vue';
import { i18n, setLocale } from '@/i18n';
import { useConnectionStore } from '@/stores/connection';

function mountBanner() {
  return mount(ConnectionBanner, { global: { plugins: [i18n] } });
}
const banner = (wrapper: ReturnType<typeof mountBanner>) => wrapper.find('[data-testid="connection-banner"]');

describe('the connection banner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    setActivePinia(createPinia());
    setLocale('en');
  });
  afterEach(() => vi.useRealTimers());

  it('says nothing of a reconnect that is quick, and says so once one takes a while', async () => {
    const connection = useConnectionStore();
    connection.setConnected();
    const wrapper = mountBanner();
    connection.setReconnecting();
    await vi.advanceTimersByTimeAsync(2000);
    expect(banner(wrapper).exists()).toBe(false);
    connection.setConnected();
    await vi.advanceTimersByTimeAsync(1000);
    expect(banner(wrapper).exists()).toBe(false);

    connection.setReconnecting();
    await vi.advanceTimersByTimeAsync(2600);
    expect(banner(wrapper).text()).toContain('Reconnecting');
  });

  it('says at once that the browser is offline', async () => {
    const connection = useConnectionStore();
    connection.setConnected();
    const wrapper = mountBanner();
    connection.setOnline(false);
    connection.setReconnecting();
    await wrapper.vm.$nextTick();
    expect(banner(wrapper).text()).toContain('offline');
  });
});
