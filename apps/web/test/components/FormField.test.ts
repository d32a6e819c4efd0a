import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, ref } from 'vue';
import FormField from '@/components/common/FormField.vue';
import { i18n, setLocale } from '@/i18n';

function mountField(initial: string, maxlength?: number) {
  const value = ref(initial);
  const Host = defineComponent({
    components: { FormField },
    setup: () => ({ value, maxlength }),
    template:
      '<FormField v-model="value" label="Display name" hint="How others see you." :maxlength="maxlength" />',
  });
  return { wrapper: mount(Host, { global: { plugins: [i18n] } }), value };
}

describe('a form field', () => {
  beforeEach(() => setLocale('en'));

  it('says how much it holds once near its limit, where maxlength would cut without a word', async () => {
    const { wrapper, value } = mountField('Ada', 64);
    expect(wrapper.text()).not.toContain('of 64');
    value.value = 'x'.repeat(64);
    await wrapper.vm.$nextTick();
    expect(wrapper.text()).toContain('64 of 64');
    const input = wrapper.get('input');
    const counter = wrapper.get('p.tabular-nums');
    expect(input.attributes('aria-describedby')?.split(' ')).toContain(counter.attributes('id'));
    expect(wrapper.text()).toContain('How others see you.');
  });

  it('counts nothing without a limit', async () => {
    const { wrapper } = mountField('x'.repeat(200));
    expect(wrapper.find('p.tabular-nums').exists()).toBe(false);
  });
});
