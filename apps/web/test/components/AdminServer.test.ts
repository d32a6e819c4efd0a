import type { AudioStatus } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import AdminServer from '@/components/admin/AdminServer.vue';
import { i18n, setLocale } from '@/i18n';
import { stubFetch } from '../fixtures';

const missing: AudioStatus = {
  ffmpeg: { path: '/opt/ffmpeg', available: false, version: null, error: '/opt/ffmpeg: not found' },
  ffprobe: { path: 'ffprobe', available: true, version: 'ffprobe version 5.1.6', error: null },
  voiceUploads: false,
  maxVoiceDurationS: 300,
  renditions: [{ from: 'audio/webm (Opus)', to: 'audio/mp4 (AAC)', for: 'Safari', available: false }],
};

describe('the console’s Server tab', () => {
  beforeEach(() => setLocale('en'));
  afterEach(() => vi.unstubAllGlobals());

  it('says voice messages are unavailable, which program is missing and which renditions cannot be made', async () => {
    const requests = stubFetch(() => ({ status: 200, body: missing }));
    const wrapper = mount(AdminServer, { global: { plugins: [i18n] } });
    await flushPromises();
    expect(requests[0]!.url).toContain('/api/admin/audio');
    expect(wrapper.get('[data-testid="admin-voice-summary"]').text()).toContain(
      'Voice messages are unavailable',
    );
    expect(wrapper.text()).toContain('/opt/ffmpeg: not found');
    expect(wrapper.text()).toContain('audio/webm (Opus) → audio/mp4 (AAC) (for Safari)');
    expect(wrapper.text()).toContain('Cannot be made');
    expect(wrapper.text()).toContain('5:00');
  });
});
