import type { Attachment } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import VoicePlayer from '@/components/message/VoicePlayer.vue';
import { i18n, setLocale } from '@/i18n';

function voice(overrides: Partial<Attachment> = {}): Attachment {
  return {
    id: 'A'.repeat(22),
    kind: 'voice',
    mime: 'audio/webm',
    fileName: 'voice.webm',
    byteSize: 12_000,
    width: null,
    height: null,
    placeholder: null,
    durationMs: 65_000,
    waveform: Array.from({ length: 64 }, (_, i) => (i % 8) / 8),
    playableMime: 'audio/mp4',
    ...overrides,
  };
}

/** happy-dom's media elements do not play: play() and pause() only fire the events. */
function fakePlayback() {
  const play = vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(function (
    this: HTMLMediaElement,
  ) {
    Object.defineProperty(this, 'paused', { value: false, configurable: true });
    this.dispatchEvent(new Event('play'));
    return Promise.resolve();
  });
  const pause = vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(function (
    this: HTMLMediaElement,
  ) {
    Object.defineProperty(this, 'paused', { value: true, configurable: true });
    this.dispatchEvent(new Event('pause'));
  });
  return { play, pause };
}

function mountPlayer(attachment = voice()) {
  return mount(VoicePlayer, { props: { attachment }, global: { plugins: [i18n] }, attachTo: document.body });
}

describe('VoicePlayer', () => {
  beforeEach(() => setLocale('en'));
  afterEach(() => {
    vi.restoreAllMocks();
    document.body.innerHTML = '';
  });

  it('plays the playable rendition when the server made one, else the recording', () => {
    const withRendition = mountPlayer();
    expect(withRendition.get('source').attributes()).toMatchObject({
      src: `/api/uploads/${'A'.repeat(22)}/playable`,
      type: 'audio/mp4',
    });
    const without = mountPlayer(voice({ mime: 'audio/mp4', playableMime: null }));
    expect(without.get('source').attributes('src')).toBe(`/api/uploads/${'A'.repeat(22)}/content`);
  });

  it('shows the duration and one bar per peak, and is a slider with values', () => {
    const wrapper = mountPlayer();
    expect(wrapper.get('[data-testid="voice-duration"]').text()).toBe('1:05');
    expect(wrapper.get('[data-testid="voice-elapsed"]').text()).toBe('0:00');
    const wave = wrapper.get('[role="slider"]');
    expect(wave.findAll('span')).toHaveLength(64);
    expect(wave.attributes()).toMatchObject({
      'aria-valuemin': '0',
      'aria-valuemax': '65',
      'aria-valuenow': '0',
      'aria-valuetext': '0:00 of 1:05',
      tabindex: '0',
    });
  });

  it('seeks with the keyboard and by clicking the waveform', async () => {
    const wrapper = mountPlayer();
    const audio = wrapper.get('audio').element as HTMLAudioElement;
    const wave = wrapper.get('[role="slider"]');
    await wave.trigger('keydown', { key: 'ArrowRight' });
    expect(audio.currentTime).toBe(5);
    expect(wave.attributes('aria-valuenow')).toBe('5');
    await wave.trigger('keydown', { key: 'End' });
    expect(audio.currentTime).toBe(65);
    await wave.trigger('keydown', { key: 'Home' });
    expect(audio.currentTime).toBe(0);

    vi.spyOn(wave.element, 'getBoundingClientRect').mockReturnValue({
      left: 100,
      width: 200,
      top: 0,
      height: 32,
      right: 300,
      bottom: 32,
      x: 100,
      y: 0,
      toJSON: () => ({}),
    });
    await wave.trigger('click', { clientX: 200 });
    expect(audio.currentTime).toBeCloseTo(32.5);
    expect(wrapper.get('[data-testid="voice-elapsed"]').text()).toBe('0:32');
    // Half the bars are played.
    expect(wave.findAll('span.bg-accent')).toHaveLength(32);
  });

  it('cycles the speed 1× → 1.5× → 2× → 1×', async () => {
    fakePlayback();
    const wrapper = mountPlayer();
    const audio = wrapper.get('audio').element as HTMLAudioElement;
    const speed = wrapper.get('[data-testid="voice-speed"]');
    await speed.trigger('click');
    expect(speed.text()).toBe('1.5×');
    expect(audio.playbackRate).toBe(1.5);
    await speed.trigger('click');
    expect(speed.attributes('aria-label')).toBe('Playback speed 2×');
    await speed.trigger('click');
    expect(speed.text()).toBe('1×');
  });

  it('plays one voice message at a time', async () => {
    const { pause } = fakePlayback();
    const first = mountPlayer();
    const second = mountPlayer(voice({ id: 'B'.repeat(22) }));
    await first.get('[data-testid="voice-play"]').trigger('click');
    expect(first.get('[data-testid="voice-play"]').attributes('aria-label')).toBe('Pause voice message');

    await second.get('[data-testid="voice-play"]').trigger('click');
    await second.vm.$nextTick();
    expect(pause).toHaveBeenCalledTimes(1);
    expect(first.get('[data-testid="voice-play"]').attributes('aria-label')).toBe('Play voice message');
    expect(second.get('[data-testid="voice-play"]').attributes('aria-label')).toBe('Pause voice message');
  });

  it('says so when the browser cannot play it', async () => {
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockRejectedValue(
      new DOMException('no source', 'NotSupportedError'),
    );
    const wrapper = mountPlayer();
    await wrapper.get('[data-testid="voice-play"]').trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(wrapper.get('[role="alert"]').text()).toContain('cannot be played');
  });
});
