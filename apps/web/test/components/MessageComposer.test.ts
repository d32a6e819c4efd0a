import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import MessageComposer from '@/components/message/MessageComposer.vue';
import VoiceRecorder from '@/components/message/VoiceRecorder.vue';
import { i18n, setLocale } from '@/i18n';
import { replyPreviewOf } from '@/lib/replyPreview';
import { useComposerDrafts } from '@/components/message/composerDrafts';
import { useOutgoingStore } from '@/stores/outgoing';
import { usePeopleStore } from '@/stores/people';
import { attachFakeClient, makeMessage } from '../fixtures';

function mountComposer(conversationId = 1) {
  attachFakeClient({ typing: vi.fn(async () => ({ ok: true as const, data: null })) });
  const send = vi.spyOn(useOutgoingStore(), 'send').mockReturnValue('client-id');
  const wrapper = mount(MessageComposer, {
    props: { conversationId, recipientName: 'Bob Chen' },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
  const textarea = wrapper.get('textarea');
  const sendButton = wrapper.get('button[type="submit"]');
  return { wrapper, textarea, sendButton, send };
}

describe('the composer', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useComposerDrafts().reset();
    setLocale('en');
  });

  it('sends the trimmed text on Enter and empties itself', async () => {
    const { textarea, send } = mountComposer();
    await textarea.setValue('  Hello, Bob  ');
    await textarea.trigger('keydown', { key: 'Enter' });
    expect(send).toHaveBeenCalledWith(1, 'Hello, Bob', null);
    expect((textarea.element as HTMLTextAreaElement).value).toBe('');
  });

  it('does not send on Shift+Enter, nor on the Enter that confirms an IME candidate', async () => {
    const { textarea, send } = mountComposer();
    await textarea.setValue('ni hao');
    await textarea.trigger('keydown', { key: 'Enter', shiftKey: true });
    await textarea.trigger('keydown', { key: 'Enter', isComposing: true });
    await textarea.trigger('keydown', { key: 'Enter', keyCode: 229 });
    expect(send).not.toHaveBeenCalled();
  });

  it('keeps the send button disabled for text that shows nothing', async () => {
    const { textarea, sendButton, send } = mountComposer();
    expect(sendButton.attributes('disabled')).toBeDefined();
    for (const invisible of ['   ', '\u200b\u200b', '\u3164', '\u2800']) {
      await textarea.setValue(invisible);
      expect(sendButton.attributes('disabled'), JSON.stringify(invisible)).toBeDefined();
    }
    await textarea.trigger('keydown', { key: 'Enter' });
    expect(send).not.toHaveBeenCalled();
    await textarea.setValue('ok');
    expect(sendButton.attributes('disabled')).toBeUndefined();
  });

  it('keeps a draft per conversation', async () => {
    const { wrapper, textarea } = mountComposer(1);
    await textarea.setValue('for the first');
    await wrapper.setProps({ conversationId: 2 });
    expect((textarea.element as HTMLTextAreaElement).value).toBe('');
    await wrapper.setProps({ conversationId: 1 });
    expect((textarea.element as HTMLTextAreaElement).value).toBe('for the first');
  });

  it('sends a reply with its quote, and Escape cancels the reply instead', async () => {
    const drafts = useComposerDrafts();
    const quoted = replyPreviewOf(makeMessage({ id: 7, seq: 3, conversationId: 1, text: 'the plan' }));
    drafts.replies.set(1, quoted);
    const { wrapper, textarea, send } = mountComposer();
    expect(wrapper.get('[data-testid="reply-preview"]').text()).toContain('the plan');
    await textarea.setValue('agreed');
    await textarea.trigger('keydown', { key: 'Enter' });
    expect(send).toHaveBeenCalledWith(1, 'agreed', quoted);
    expect(wrapper.find('[data-testid="reply-preview"]').exists()).toBe(false);

    drafts.replies.set(1, quoted);
    await wrapper.vm.$nextTick();
    await textarea.trigger('keydown', { key: 'Escape' });
    expect(wrapper.find('[data-testid="reply-preview"]').exists()).toBe(false);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('names the quoted person as they are called now, renamed since the reply was started', async () => {
    const quoted = replyPreviewOf(makeMessage({ id: 7, seq: 3, conversationId: 1, text: 'the plan' }));
    useComposerDrafts().replies.set(1, quoted);
    const { wrapper } = mountComposer();
    expect(wrapper.get('[data-testid="reply-preview"]').text()).toContain(quoted.sender.displayName);
    usePeopleStore().apply({ ...quoted.sender, displayName: '陈博 Bob' });
    await wrapper.vm.$nextTick();
    expect(wrapper.get('[data-testid="reply-preview"]').text()).toContain('陈博 Bob');
    wrapper.unmount();
  });

  it('cuts a long name in its placeholder, which would wrap over lines on a phone', () => {
    attachFakeClient({ typing: vi.fn(async () => ({ ok: true as const, data: null })) });
    const wrapper = mount(MessageComposer, {
      props: { conversationId: 1, recipientName: `${'Bartholomew '.repeat(5)}👨‍👩‍👧 Smith` },
      global: { plugins: [i18n] },
    });
    const placeholder = wrapper.get('textarea').attributes('placeholder') ?? '';
    expect(placeholder).toMatch(/^Message \u2068Bartholomew Bartholomew…\u2069$/u);
    wrapper.unmount();
  });

  it('offers the microphone while there is no text, and sends a recording through the outbox', async () => {
    const { wrapper, textarea } = mountComposer(3);
    const send = vi.spyOn(useOutgoingStore(), 'send').mockReturnValue('voice-id');
    expect(wrapper.find('[data-testid="voice-record"]').exists()).toBe(true);
    await textarea.setValue('typing');
    expect(wrapper.find('[data-testid="voice-record"]').exists()).toBe(false);
    await textarea.setValue('');
    const file = new Blob(['opus'], { type: 'audio/webm' });
    wrapper.getComponent(VoiceRecorder).vm.$emit('recorded', file, 'voice.webm', 1200);
    expect(send).toHaveBeenCalledWith(3, '', null, { kind: 'voice', file, fileName: 'voice.webm' });
  });
});
