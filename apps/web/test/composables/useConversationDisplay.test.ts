import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { useConversationDisplay } from '@/composables/useConversationDisplay';
import { i18n, setLocale } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import { alice, makeAttachment, makeConversation, makeMessage } from '../fixtures';

function previewOf(lastMessage: ReturnType<typeof makeMessage>) {
  let display!: ReturnType<typeof useConversationDisplay>;
  mount(
    defineComponent({
      setup() {
        display = useConversationDisplay();
        return () => h('div');
      },
    }),
    { global: { plugins: [i18n] } },
  );
  return display.preview(makeConversation({ id: 1, kind: 'direct', lastMessage })).text;
}

describe('the conversation list’s preview of an attachment', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    setLocale('en');
  });

  it('shows the caption when there is one, else what was sent', () => {
    expect(previewOf(makeMessage({ seq: 1, text: 'At the pier', attachment: makeAttachment() }))).toBe(
      'At the pier',
    );
    expect(previewOf(makeMessage({ seq: 2, text: '', attachment: makeAttachment() }))).toBe('Photo');
    expect(
      previewOf(
        makeMessage({ seq: 3, text: '', attachment: makeAttachment({ kind: 'file', fileName: 'a.pdf' }) }),
      ),
    ).toBe('a.pdf');
    expect(previewOf(makeMessage({ seq: 4, text: '', attachment: makeAttachment({ kind: 'voice' }) }))).toBe(
      'Voice message',
    );
  });
});
