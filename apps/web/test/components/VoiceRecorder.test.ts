import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import VoiceRecorder from '@/components/message/VoiceRecorder.vue';
import type { RecorderPorts } from '@/composables/useVoiceRecorder';
import { i18n, setLocale } from '@/i18n';
import { useConnectionStore } from '@/stores/connection';
import { useToastsStore } from '@/stores/toasts';

class SilentRecorder extends EventTarget {
  static isTypeSupported = () => true;
  state: RecordingState = 'inactive';
  mimeType = 'audio/webm;codecs=opus';
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    const event = new Event('dataavailable') as BlobEvent;
    Object.defineProperty(event, 'data', { value: new Blob(['x'], { type: this.mimeType }) });
    this.dispatchEvent(event);
    queueMicrotask(() => this.dispatchEvent(new Event('stop')));
  }
}

const track = { stop: vi.fn() };
const granted: RecorderPorts = {
  getUserMedia: async () => ({ getTracks: () => [track] }) as unknown as MediaStream,
  MediaRecorder: SilentRecorder as unknown as typeof MediaRecorder,
  AudioContext: undefined,
};

function mountRecorder(ports: RecorderPorts, conversationId = 1) {
  return mount(VoiceRecorder, {
    props: { conversationId, ports },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('VoiceRecorder', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setLocale('en');
    track.stop.mockClear();
  });

  it('says what to do when the microphone is refused, and is ready to try again', async () => {
    const wrapper = mountRecorder({
      getUserMedia: () => Promise.reject(new DOMException('denied', 'NotAllowedError')),
      MediaRecorder: SilentRecorder as unknown as typeof MediaRecorder,
    });
    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    expect(wrapper.get('[role="alert"]').text()).toContain('Allow it for this site');
    expect(wrapper.find('[data-testid="voice-record"]').exists()).toBe(true);
    expect(wrapper.emitted('update:active')?.at(-1)).toEqual([false]);
  });

  it('records with a timer and sends the recording', async () => {
    const wrapper = mountRecorder(granted);
    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="voice-timer"]').text()).toContain('0:00 / 5:00');
    expect(wrapper.get('[role="meter"]').attributes('aria-valuenow')).toBe('0');
    await wrapper.get('[data-testid="voice-send"]').trigger('click');
    await settle();
    const [file, fileName] = wrapper.emitted('recorded')![0] as [Blob, string, number];
    expect(file.size).toBe(1);
    expect(fileName).toMatch(/\.webm$/);
    expect(track.stop).toHaveBeenCalled();
  });

  it('stops, sends nothing and says so when the conversation changes or the connection is lost', async () => {
    const wrapper = mountRecorder(granted);
    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    await wrapper.setProps({ conversationId: 2 });
    await settle();
    expect(wrapper.get('[role="alert"]').text()).toContain('changed conversation');
    expect(wrapper.emitted('recorded')).toBeUndefined();

    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    const connection = useConnectionStore();
    connection.setConnected();
    connection.setConnecting();
    await settle();
    expect(wrapper.get('[role="alert"]').text()).toContain('connection was lost');
    expect(wrapper.emitted('recorded')).toBeUndefined();
  });

  it('stops and says so when the page is left (pagehide)', async () => {
    const wrapper = mountRecorder(granted);
    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    expect(wrapper.get('[role="alert"]').text()).toContain('left the page');
    expect(track.stop).toHaveBeenCalled();
  });

  it('cancels without a word', async () => {
    const wrapper = mountRecorder(granted);
    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    await wrapper.get('[data-testid="voice-cancel"]').trigger('click');
    await settle();
    expect(wrapper.emitted('cancel')).toHaveLength(1);
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
    expect(wrapper.emitted('recorded')).toBeUndefined();
  });

  it('drops the recording with a toast when the composer goes away mid-recording', async () => {
    const wrapper = mountRecorder(granted);
    await wrapper.get('[data-testid="voice-record"]').trigger('click');
    await settle();
    wrapper.unmount();
    await settle();
    expect(track.stop).toHaveBeenCalled();
    expect(useToastsStore().toasts.map((toast) => toast.key)).toEqual(['toast.voiceInterrupted']);
    expect(wrapper.emitted('recorded')).toBeUndefined();
  });
});
