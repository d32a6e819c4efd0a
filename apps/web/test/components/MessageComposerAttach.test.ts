import { UPLOAD_MAX_BYTES_DEFAULT } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { useComposerDrafts } from '@/components/message/composerDrafts';
import MessageComposer from '@/components/message/MessageComposer.vue';
import MessageUploadPending from '@/components/message/MessageUploadPending.vue';
import { i18n, setLocale } from '@/i18n';
import { useOutgoingStore, type OutgoingUpload } from '@/stores/outgoing';
import { attachFakeClient } from '../fixtures';

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Unmounted after each test: the drafts are module state, and a live composer would still watch them. */
const mounted: Array<{ unmount(): void }> = [];

function mountComposer(conversationId = 1) {
  attachFakeClient({ typing: vi.fn(async () => ({ ok: true as const, data: null })) });
  const send = vi.spyOn(useOutgoingStore(), 'send').mockReturnValue('client-id');
  const wrapper = mount(MessageComposer, {
    props: { conversationId, recipientName: 'Bob Chen' },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
  mounted.push(wrapper);
  return {
    wrapper,
    textarea: wrapper.get('textarea'),
    sendButton: wrapper.get('button[type="submit"]'),
    send,
  };
}

/** Picks `file` through the hidden file input, as the paperclip's dialog would. */
async function choose(wrapper: ReturnType<typeof mountComposer>['wrapper'], file: File): Promise<void> {
  const input = wrapper.get('[data-testid="attach-input"]');
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
  await input.trigger('change');
}

describe('attaching a file in the composer', () => {
  const created: string[] = [];
  const revoked: string[] = [];
  beforeEach(() => {
    setActivePinia(createPinia());
    useComposerDrafts().reset();
    setLocale('en');
    created.length = 0;
    revoked.length = 0;
    vi.spyOn(URL, 'createObjectURL').mockImplementation(() => {
      const url = `blob:preview-${created.length + 1}`;
      created.push(url);
      return url;
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation((url) => void revoked.push(url));
  });
  afterEach(() => {
    for (const wrapper of mounted.splice(0)) wrapper.unmount();
    vi.restoreAllMocks();
  });

  it('has a paperclip button that opens the file dialog', async () => {
    const { wrapper } = mountComposer();
    const click = vi.spyOn(wrapper.get('[data-testid="attach-input"]').element as HTMLInputElement, 'click');
    await wrapper.get('button[aria-label="Attach a file or image"]').trigger('click');
    expect(click).toHaveBeenCalled();
  });

  it('previews a chosen image and sends it with the caption on Enter, then empties itself', async () => {
    const { wrapper, textarea, send } = mountComposer();
    const photo = new File([PNG_BYTES], 'view.png', { type: 'image/png' });
    await choose(wrapper, photo);
    const image = wrapper.get('[data-testid="attachment-draft-image"]');
    expect(image.attributes('src')).toBe('blob:preview-1');
    expect(image.attributes('alt')).toBe('view.png');
    await textarea.setValue('  the view  ');
    await textarea.trigger('keydown', { key: 'Enter' });
    expect(send).toHaveBeenCalledWith(1, 'the view', null, {
      kind: 'image',
      file: photo,
      fileName: 'view.png',
    });
    expect(wrapper.find('[data-testid="attachment-draft"]').exists()).toBe(false);
    // The preview's object URL is freed with it.
    expect(revoked).toEqual(['blob:preview-1']);
  });

  it('sends a file without a caption: the send button is enabled by the attachment alone', async () => {
    const { wrapper, sendButton, send } = mountComposer();
    expect(sendButton.attributes('disabled')).toBeDefined();
    const pdf = new File(['%PDF-1.4'], 'notes.pdf', { type: 'application/pdf' });
    await choose(wrapper, pdf);
    const card = wrapper.get('[data-testid="attachment-draft"]');
    expect(card.text()).toContain('notes.pdf');
    expect(card.text()).toContain('8 B');
    expect(wrapper.find('[data-testid="attachment-draft-image"]').exists()).toBe(false);
    expect(sendButton.attributes('disabled')).toBeUndefined();
    await wrapper.get('form').trigger('submit');
    expect(send).toHaveBeenCalledWith(1, '', null, { kind: 'file', file: pdf, fileName: 'notes.pdf' });
  });

  it('removes the attachment before sending, and then sends only the text', async () => {
    const { wrapper, textarea, send } = mountComposer();
    await choose(wrapper, new File([PNG_BYTES], 'oops.png', { type: 'image/png' }));
    await wrapper.get('button[aria-label="Remove attachment"]').trigger('click');
    expect(wrapper.find('[data-testid="attachment-draft"]').exists()).toBe(false);
    expect(revoked).toEqual(['blob:preview-1']);
    await textarea.setValue('just words');
    await textarea.trigger('keydown', { key: 'Enter' });
    expect(send).toHaveBeenCalledWith(1, 'just words', null);
  });

  it('attaches an image pasted from the clipboard, and leaves pasted text to the textarea', async () => {
    const { wrapper, textarea } = mountComposer();
    const screenshot = new File([PNG_BYTES], 'image.png', { type: 'image/png' });
    const textOnly = new Event('paste', { cancelable: true });
    Object.defineProperty(textOnly, 'clipboardData', { value: { files: [] } });
    textarea.element.dispatchEvent(textOnly);
    expect(textOnly.defaultPrevented).toBe(false);
    const withImage = new Event('paste', { cancelable: true });
    Object.defineProperty(withImage, 'clipboardData', { value: { files: [screenshot] } });
    textarea.element.dispatchEvent(withImage);
    await nextTick();
    expect(withImage.defaultPrevented).toBe(true);
    expect(useComposerDrafts().attachments.get(1)).toMatchObject({ kind: 'image', fileName: 'image.png' });
    expect(wrapper.find('[data-testid="attachment-draft-image"]').exists()).toBe(true);
  });

  it('refuses a file over the upload limit at once, saying the limit, and keeps nothing', async () => {
    const { wrapper, send } = mountComposer();
    const huge = new File([PNG_BYTES], 'huge.png', { type: 'image/png' });
    Object.defineProperty(huge, 'size', { value: UPLOAD_MAX_BYTES_DEFAULT + 1 });
    await choose(wrapper, huge);
    expect(wrapper.find('[data-testid="attachment-draft"]').exists()).toBe(false);
    expect(wrapper.get('[role="alert"]').text()).toBe('That file is larger than the 10 MB limit.');
    await wrapper.get('form').trigger('submit');
    expect(send).not.toHaveBeenCalled();
  });

  it('keeps each conversation’s attachment with its draft', async () => {
    const { wrapper } = mountComposer(1);
    await choose(wrapper, new File(['a'], 'first.txt', { type: 'text/plain' }));
    await wrapper.setProps({ conversationId: 2 });
    expect(wrapper.find('[data-testid="attachment-draft"]').exists()).toBe(false);
    await wrapper.setProps({ conversationId: 1 });
    expect(wrapper.get('[data-testid="attachment-draft"]').text()).toContain('first.txt');
  });
});

describe('a pending message’s upload', () => {
  const upload = (over: Partial<OutgoingUpload> = {}): OutgoingUpload => ({
    kind: 'file',
    fileName: 'report.pdf',
    mime: 'application/pdf',
    byteSize: 2048,
    file: new Blob(['x']),
    phase: 'uploading',
    progress: { loaded: 512, total: 2048 },
    ...over,
  });
  const mountPending = (props: { upload: OutgoingUpload; failed: boolean }) =>
    mount(MessageUploadPending, { props, global: { plugins: [i18n] } });

  beforeEach(() => setLocale('en'));

  it('shows the file and a progress bar with its percentage, and a cancel button while uploading', async () => {
    const wrapper = mountPending({ upload: upload(), failed: false });
    expect(wrapper.text()).toContain('report.pdf');
    expect(wrapper.text()).toContain('2 KB');
    const bar = wrapper.get('[role="progressbar"]');
    expect(bar.attributes('aria-valuenow')).toBe('25');
    expect(bar.attributes('aria-label')).toBe('Uploading report.pdf');
    await wrapper.get('button[aria-label="Cancel upload"]').trigger('click');
    expect(wrapper.emitted('cancel')).toHaveLength(1);
  });

  it('offers no cancel once uploaded (the message is on its way) nor when failed (retry or discard instead)', () => {
    const uploaded = mountPending({ upload: upload({ phase: 'uploaded', progress: null }), failed: false });
    expect(uploaded.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('100');
    expect(uploaded.find('button').exists()).toBe(false);
    const failed = mountPending({ upload: upload({ phase: 'waiting', progress: null }), failed: true });
    expect(failed.find('[role="progressbar"]').exists()).toBe(false);
    expect(failed.find('button').exists()).toBe(false);
  });
});
