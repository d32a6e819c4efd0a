import { uploadPath } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import MessageAttachment from '@/components/message/MessageAttachment.vue';
import { i18n, setLocale } from '@/i18n';
import { makeAttachment } from '../fixtures';

function mountAttachment(attachment = makeAttachment(), caption = '') {
  return mount(MessageAttachment, {
    props: { attachment, caption, own: false, messageKey: '2:abc' },
    global: { plugins: [i18n] },
  });
}

describe('an attachment in the message list', () => {
  beforeEach(() => setLocale('en'));

  it('draws an image at the size its stored dimensions give, before the thumbnail loads', () => {
    const wide = mountAttachment(makeAttachment({ width: 1600, height: 1200 }));
    const box = wide.get<HTMLButtonElement>('[data-testid="image-attachment"]').element;
    expect(box.style.width).toBe('320px');
    expect(box.style.aspectRatio.replace(/\s/g, '')).toBe('320/240');

    const tall = mountAttachment(makeAttachment({ width: 600, height: 1400 }));
    const tallBox = tall.get<HTMLButtonElement>('[data-testid="image-attachment"]').element;
    expect(tallBox.style.width).toBe('137px');
    expect(tallBox.style.aspectRatio.replace(/\s/g, '')).toBe('137/320');

    // Taller than 1:2.5: a window onto its top.
    const screenshot = mountAttachment(makeAttachment({ width: 600, height: 1800 }));
    const screenshotBox = screenshot.get<HTMLButtonElement>('[data-testid="image-attachment"]');
    expect(screenshotBox.element.style.aspectRatio.replace(/\s/g, '')).toBe('128/320');
    expect(screenshotBox.get('img').classes()).toContain('object-top');

    // A small image is not enlarged.
    const small = mountAttachment(makeAttachment({ width: 200, height: 100 }));
    expect(small.get<HTMLButtonElement>('[data-testid="image-attachment"]').element.style.width).toBe(
      '200px',
    );
  });

  it('loads the thumbnail lazily, with alt text, over the blurred placeholder until it is in', async () => {
    const attachment = makeAttachment({ fileName: 'harbour.jpg' });
    const wrapper = mountAttachment(attachment, 'Sunset at the harbour');
    const box = wrapper.get<HTMLButtonElement>('[data-testid="image-attachment"]');
    const image = wrapper.get('img');
    expect(image.attributes('src')).toBe(uploadPath(attachment.id, 'thumbnail'));
    expect(image.attributes('loading')).toBe('lazy');
    expect(image.attributes('alt')).toBe('Sunset at the harbour');
    expect(box.attributes('aria-label')).toBe('View image: Sunset at the harbour');
    expect(box.element.style.backgroundImage).toContain(attachment.placeholder);

    await image.trigger('load');
    expect(box.element.style.backgroundImage).toBe('');
    expect(image.attributes('data-loaded')).toBe('true');
  });

  it('names an image without a caption by its file name', () => {
    const wrapper = mountAttachment(makeAttachment({ fileName: 'IMG_0042.png' }), '  ');
    expect(wrapper.get('img').attributes('alt')).toBe('IMG_0042.png');
  });

  it('asks to open the viewer when the image is clicked', async () => {
    const wrapper = mountAttachment();
    await wrapper.get('[data-testid="image-attachment"]').trigger('click');
    expect(wrapper.emitted('openImage')).toHaveLength(1);
  });

  it('says so in place of an image that cannot be loaded, keeping its size', async () => {
    const wrapper = mountAttachment();
    await wrapper.get('img').trigger('error');
    expect(wrapper.find('img').exists()).toBe(false);
    expect(wrapper.get('[role="img"]').attributes('aria-label')).toBe('Image unavailable');
    expect(wrapper.get<HTMLButtonElement>('[data-testid="image-attachment"]').element.style.width).toBe(
      '320px',
    );
  });

  it('shows a file as a download card', () => {
    const attachment = makeAttachment({ kind: 'file', fileName: 'minutes.pdf' });
    const wrapper = mountAttachment(attachment);
    const link = wrapper.get('a[data-testid="file-attachment"]');
    expect(link.attributes('href')).toBe(uploadPath(attachment.id, 'content'));
    expect(wrapper.find('img').exists()).toBe(false);
  });

  it('plays a voice message in the voice player, from the rendition for every browser when the server made one', () => {
    const original = makeAttachment({ kind: 'voice' });
    const player = mountAttachment(original);
    expect(player.find('[data-testid="voice-player"]').exists()).toBe(true);
    expect(player.get('audio source').attributes('src')).toBe(uploadPath(original.id, 'content'));
    const rendered = makeAttachment({ kind: 'voice', playableMime: 'audio/mp4' });
    const audio = mountAttachment(rendered).get('audio');
    expect(audio.get('source').attributes('src')).toBe(uploadPath(rendered.id, 'playable'));
    expect(audio.attributes('preload')).toBe('metadata');
  });
});
