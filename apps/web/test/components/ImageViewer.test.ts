import { uploadPath } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import ImageViewer from '@/components/message/ImageViewer.vue';
import { useImageViewing } from '@/composables/useImageViewing';
import { i18n, setLocale } from '@/i18n';
import { toTimeline } from '@/stores/messages';
import { makeAttachment, makeMessage } from '../fixtures';

const messages = [1, 2, 3].map((seq) =>
  toTimeline(makeMessage({ seq, text: '', attachment: makeAttachment({ fileName: `photo-${seq}.jpg` }) })),
);

/** A message list in miniature: a thumbnail button per image, and the viewer they open. */
const Host = defineComponent({
  setup() {
    const scroller = ref<HTMLElement | null>(null);
    const viewing = useImageViewing(ref(messages), scroller);
    return () =>
      h('div', [
        h(
          'div',
          { ref: scroller },
          messages.map((message) =>
            h(
              'button',
              { 'data-image-key': message.key, onClick: () => viewing.open(message) },
              message.attachment!.fileName,
            ),
          ),
        ),
        h(ImageViewer, {
          images: viewing.images.value,
          current: viewing.current.value,
          'onUpdate:current': (key: string | null) => (viewing.current.value = key),
          onCloseAutoFocus: viewing.restoreFocus,
        }),
      ]);
  },
});

function dialog(): HTMLElement | null {
  return document.querySelector('[role="dialog"]');
}

function press(key: string): void {
  (document.activeElement ?? document.body).dispatchEvent(
    new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }),
  );
}

function shownImage(): HTMLImageElement {
  return document.querySelector<HTMLImageElement>('[data-testid="image-viewer-image"]')!;
}

function zoomLevel(): string {
  return document.querySelector('[data-testid="image-viewer-zoom-level"]')!.textContent!.trim();
}

function button(name: string): HTMLButtonElement {
  const found = document.querySelector<HTMLButtonElement>(`[role="dialog"] button[aria-label="${name}"]`);
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

async function openOn(index: number) {
  const wrapper = mount(Host, { global: { plugins: [i18n] }, attachTo: document.body });
  const thumbnail = wrapper.findAll('button')[index]!;
  (thumbnail.element as HTMLButtonElement).focus();
  await thumbnail.trigger('click');
  await flushPromises();
  return { wrapper, thumbnail: thumbnail.element as HTMLButtonElement };
}

describe('the image viewer', () => {
  beforeEach(() => setLocale('en'));

  it('is a modal dialog named after the file, showing the full image, with a download', async () => {
    await openOn(0);
    const open = dialog()!;
    // reka-ui hides the rest of the page from assistive technology; aria-modal says so too.
    expect(open.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(open);
    const title = document.getElementById(open.getAttribute('aria-labelledby')!);
    expect(title?.textContent).toContain('photo-1.jpg');
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[0]!.attachment!.id, 'content'));
    expect(open.querySelector('[role="status"]')?.textContent).toContain('Loading image');
    const download = open.querySelector<HTMLAnchorElement>('a[download]')!;
    expect(download.getAttribute('href')).toBe(uploadPath(messages[0]!.attachment!.id, 'content'));
    expect(download.getAttribute('download')).toBe('photo-1.jpg');
  });

  it('steps through the conversation’s images with the arrow keys and buttons, stopping at the ends', async () => {
    await openOn(0);
    expect(button('Previous image').getAttribute('aria-disabled')).toBe('true');
    press('ArrowRight');
    await flushPromises();
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[1]!.attachment!.id, 'content'));
    button('Next image').click();
    await flushPromises();
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[2]!.attachment!.id, 'content'));
    expect(button('Next image').getAttribute('aria-disabled')).toBe('true');
    press('ArrowRight');
    await flushPromises();
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[2]!.attachment!.id, 'content'));
    press('ArrowLeft');
    await flushPromises();
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[1]!.attachment!.id, 'content'));
  });

  it('keeps focus on a button that reaches the end, so the keys still work', async () => {
    await openOn(1);
    const next = button('Next image');
    next.focus();
    next.click();
    await flushPromises();
    expect(next.getAttribute('aria-disabled')).toBe('true');
    next.click();
    await flushPromises();
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[2]!.attachment!.id, 'content'));
    expect(document.activeElement).toBe(next);
    press('ArrowLeft');
    await flushPromises();
    expect(shownImage().getAttribute('src')).toBe(uploadPath(messages[1]!.attachment!.id, 'content'));
  });

  it('zooms with + - 0 and the buttons, and starts fitted again on the next image', async () => {
    await openOn(0);
    expect(zoomLevel()).toBe('100%');
    expect(button('Zoom out').getAttribute('aria-disabled')).toBe('true');
    press('+');
    await flushPromises();
    expect(zoomLevel()).toBe('150%');
    button('Zoom in').click();
    await flushPromises();
    expect(zoomLevel()).toBe('225%');
    press('-');
    await flushPromises();
    expect(zoomLevel()).toBe('150%');
    press('0');
    await flushPromises();
    expect(zoomLevel()).toBe('100%');
    press('=');
    await flushPromises();
    press('ArrowRight');
    await flushPromises();
    expect(zoomLevel()).toBe('100%');
  });

  it('zooms in on a double click and back out on another', async () => {
    await openOn(0);
    const stage = document.querySelector('[data-testid="image-viewer-stage"]')!;
    stage.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await flushPromises();
    expect(zoomLevel()).toBe('250%');
    stage.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await flushPromises();
    expect(zoomLevel()).toBe('100%');
  });

  it('closes on Escape and gives focus back to the thumbnail of the image it showed last', async () => {
    const { wrapper } = await openOn(0);
    press('ArrowRight');
    await flushPromises();
    document.activeElement?.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }),
    );
    await flushPromises();
    expect(dialog()).toBeNull();
    expect(document.activeElement).toBe(wrapper.findAll('button')[1]!.element);
  });

  it('gives focus back to the thumbnail it was opened from', async () => {
    const { thumbnail } = await openOn(2);
    button('Close image viewer').click();
    await flushPromises();
    expect(dialog()).toBeNull();
    expect(document.activeElement).toBe(thumbnail);
  });
});
