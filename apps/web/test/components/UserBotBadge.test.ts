import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import UserBotBadge from '@/components/user/UserBotBadge.vue';
import { i18n, setLocale } from '@/i18n';

/**
 * The text a screen reader takes from `node`: its text, without what is aria-hidden. (The accessible
 * name of a heading or option is built from the same content.)
 */
function spokenText(node: Node): string {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? '';
  if (node instanceof Element && node.getAttribute('aria-hidden') === 'true') return '';
  return [...node.childNodes].map(spokenText).join('');
}

/** A name group as the conversation list and the console write it: the badge right against the name. */
const NameGroup = defineComponent({
  components: { UserBotBadge },
  props: { name: { type: String, required: true } },
  template: '<h2><bdi>{{ name }}</bdi><UserBotBadge /></h2>',
});

describe('the bot badge', () => {
  afterEach(() => setLocale('en'));

  it('reads as a separate word after the name, never run into it', () => {
    setLocale('en');
    const wrapper = mount(NameGroup, { props: { name: 'Mira' }, global: { plugins: [i18n] } });
    expect(spokenText(wrapper.element)).toBe('Mira (bot)');
    expect(spokenText(wrapper.element)).not.toContain('MiraBot');
    // Seen: the badge's word, in the badge.
    expect(wrapper.get('[data-testid=bot-badge] [aria-hidden=true]').text()).toBe('Bot');
  });

  it('reads in Chinese with Chinese brackets', () => {
    setLocale('zh-CN');
    const wrapper = mount(NameGroup, { props: { name: 'Mira' }, global: { plugins: [i18n] } });
    expect(spokenText(wrapper.element)).toBe('Mira（机器人）');
  });
});
