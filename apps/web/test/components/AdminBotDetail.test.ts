import type { Bot, BotToken } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n, setLocale } from '@/i18n';

const admin = vi.hoisted(() => ({
  fetchBotTokens: vi.fn(),
  fetchBotWebhooks: vi.fn(),
  fetchBotDeliveries: vi.fn(),
  fetchBotCounts: vi.fn(),
  createBotToken: vi.fn(),
}));
vi.mock('@/api/admin', () => admin);

const { default: AdminBotDetail } = await import('@/components/admin/AdminBotDetail.vue');

const BOT: Bot = {
  id: 7,
  username: 'echo',
  displayName: 'Echo',
  description: '',
  avatarUrl: null,
  owner: { id: 1, username: 'root', displayName: 'Root', kind: 'person' },
  createdAt: '2026-12-01T00:00:00.000Z',
  deactivatedAt: null,
};
const token = (id: number, prefix: string): BotToken => ({
  id,
  prefix,
  label: '',
  createdAt: '2026-12-01T00:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
});

describe('one bot in the console', () => {
  beforeEach(() => setLocale('en'));
  afterEach(() => {
    vi.clearAllMocks();
    document.body.innerHTML = '';
  });

  it('keeps a token created while its tokens were still loading', async () => {
    let answerTokens: (tokens: BotToken[]) => void = () => {};
    admin.fetchBotTokens.mockReturnValue(new Promise((resolve) => (answerTokens = resolve)));
    admin.fetchBotWebhooks.mockResolvedValue([]);
    admin.fetchBotDeliveries.mockResolvedValue([]);
    admin.fetchBotCounts.mockResolvedValue([]);
    admin.createBotToken.mockResolvedValue({
      token: token(2, 'pbt_newtoken'),
      secret: 'pbt_newtoken_secret',
    });
    const wrapper = mount(AdminBotDetail, {
      props: { bot: BOT },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });

    const tokenForm = wrapper.findAll('form').find((form) => form.text().includes('Create token'));
    await tokenForm!.trigger('submit');
    await flushPromises();
    // The list read before the token existed answers last.
    answerTokens([token(1, 'pbt_oldtoken')]);
    await flushPromises();

    const text = wrapper.text();
    expect(text).toContain('pbt_newtoken…');
    expect(text).toContain('pbt_oldtoken…');
  });
});
