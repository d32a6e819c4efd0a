import { uploadPath } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import FileAttachment from '@/components/message/FileAttachment.vue';
import { i18n, setLocale } from '@/i18n';
import { makeAttachment } from '../fixtures';

function mountCard(overrides: Parameters<typeof makeAttachment>[0]) {
  const attachment = makeAttachment({ kind: 'file', ...overrides });
  const wrapper = mount(FileAttachment, {
    props: { attachment, own: false },
    global: { plugins: [i18n] },
  });
  return { attachment, wrapper };
}

describe('a file card', () => {
  beforeEach(() => setLocale('en'));

  it('downloads the file: the content path, with the download attribute naming it', () => {
    const { attachment, wrapper } = mountCard({ fileName: 'Quarterly report.pdf' });
    const link = wrapper.get('a');
    expect(link.attributes('href')).toBe(uploadPath(attachment.id, 'content'));
    expect(link.attributes('download')).toBe('Quarterly report.pdf');
    expect(link.attributes('target')).toBeUndefined();
    expect(link.text()).toContain('Download');
  });

  it('shows the name isolated from its neighbours, whole in the tooltip', () => {
    const name = 'تقرير الربع الأول من السنة المالية مع الملاحق.pdf';
    const { wrapper } = mountCard({ fileName: name });
    expect(wrapper.get('bdi[data-testid="file-name"]').text()).toBe(name);
    expect(wrapper.get('a').attributes('title')).toBe(name);
    // Screen readers hear the name whole, not the two halves it is drawn in.
    expect(wrapper.findAll('.sr-only').map((span) => span.text())).toEqual([name, 'Download']);
    expect(wrapper.get('bdi').attributes('aria-hidden')).toBe('true');
    // Only the stem is cut short when there is no room: the extension stays in sight.
    expect(wrapper.findAll('bdi span').map((span) => [span.text(), span.classes('truncate')])).toEqual([
      ['تقرير الربع الأول من السنة المالية مع الملاحق', true],
      ['.pdf', false],
    ]);
  });

  it('gives the size in the reader’s language and the type from the extension', async () => {
    const { wrapper } = mountCard({
      fileName: 'archive.tar.gz',
      mime: 'application/gzip',
      byteSize: 1_540_000,
    });
    expect(wrapper.get('[data-testid="file-details"]').text()).toBe('1.5 MB · GZ');
    setLocale('zh-CN');
    await wrapper.vm.$nextTick();
    expect(wrapper.get('[data-testid="file-details"]').text()).toMatch(/^1\.5\s?MB · GZ$/);
    expect(wrapper.get('a').text()).toContain('下载');
  });
});
