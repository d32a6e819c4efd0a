import type { Bot, BotCounts } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import { activityDays, activityTotals } from '@/components/admin/botActivity';
import { i18n, setLocale } from '@/i18n';

// The chart draws on a canvas, which the test DOM lacks: a stand-in that shows what it was given.
vi.mock('vue-chartjs', () => ({
  Bar: defineComponent({
    props: { data: { type: Object, required: true }, options: { type: Object, required: true } },
    setup:
      (props, { attrs }) =>
      () =>
        h('canvas', {
          role: 'img',
          'aria-label': attrs['aria-label'],
          'data-series': (props.data as { datasets: { label: string }[] }).datasets
            .map((set) => set.label)
            .join('|'),
        }),
  }),
}));

const api = vi.hoisted(() => ({
  fetchBots: vi.fn(),
  fetchAllBotCounts: vi.fn(),
  fetchBotCounts: vi.fn(),
}));
vi.mock('@/api/admin', () => api);

const { default: AdminBotActivity } = await import('@/components/admin/AdminBotActivity.vue');

const counts = (days: Array<[string, Record<string, number>]>): BotCounts => ({
  days: days.map(([day, c]) => ({ day, counts: c })),
});
const ALL = counts([
  ['2026-12-04', { messages_received: 3, replies_sent: 2, check_ins_sent: 0, webhook_failures: 1 }],
  ['2026-12-05', { messages_received: 5, replies_sent: 4, check_ins_sent: 1, model_failures: 2 }],
]);
const MIRA = counts([
  ['2026-12-04', { messages_received: 0 }],
  ['2026-12-05', { messages_received: 1, replies_sent: 1 }],
]);
const mira = { id: 7, username: 'mira', displayName: 'Mira' } as Bot;

function tableRows(wrapper: ReturnType<typeof mount>): string[][] {
  return wrapper
    .findAll('[data-testid=bot-activity-table] tbody tr')
    .map((row) => row.findAll('th, td').map((cell) => cell.text()));
}

describe('bot activity in the usage view', () => {
  beforeEach(() => {
    setLocale('en');
    api.fetchBots.mockResolvedValue([mira]);
    api.fetchAllBotCounts.mockResolvedValue(ALL);
    api.fetchBotCounts.mockResolvedValue(MIRA);
  });
  afterEach(() => vi.clearAllMocks());

  it('adds webhook and model failures together, and totals each series', () => {
    const days = activityDays(ALL);
    expect(days).toEqual([
      { day: '2026-12-04', received: 3, replies: 2, checkIns: 0, failures: 1 },
      { day: '2026-12-05', received: 5, replies: 4, checkIns: 1, failures: 2 },
    ]);
    expect(activityTotals(days)).toEqual({ received: 8, replies: 6, checkIns: 1, failures: 3 });
  });

  it('charts every bot together, says the totals to screen readers, and has the numbers as a table', async () => {
    const wrapper = mount(AdminBotActivity, { global: { plugins: [i18n] } });
    await flushPromises();
    const chart = wrapper.get('canvas[role=img]');
    expect(chart.attributes('aria-label')).toBe(
      'Bots and AI companions per day (last 30 days): messages received 8, replies sent 6, check-ins sent 1, failures 3',
    );
    expect(chart.attributes('data-series')).toBe('Messages received|Replies sent|Check-ins sent|Failures');
    // Newest day first.
    expect(tableRows(wrapper)).toEqual([
      ['12-05', '5', '4', '1', '2'],
      ['12-04', '3', '2', '0', '1'],
    ]);
  });

  it('shows one bot picked from the list', async () => {
    const wrapper = mount(AdminBotActivity, { global: { plugins: [i18n] } });
    await flushPromises();
    const select = wrapper.get('select');
    expect(select.findAll('option').map((option) => option.text())).toEqual([
      'All bots and companions',
      'Mira (@mira)',
    ]);
    await select.setValue(String(mira.id));
    await flushPromises();
    expect(api.fetchBotCounts).toHaveBeenCalledWith(mira.id);
    expect(tableRows(wrapper)[0]).toEqual(['12-05', '1', '1', '0', '0']);
  });

  it('speaks Chinese', async () => {
    setLocale('zh-CN');
    const wrapper = mount(AdminBotActivity, { global: { plugins: [i18n] } });
    await flushPromises();
    expect(wrapper.get('h2').text()).toBe('机器人与 AI 伙伴每日互动（最近 30 天）');
    expect(wrapper.get('canvas').attributes('aria-label')).toContain('收到 8 条消息');
  });

  it('says so when there are no bots', async () => {
    api.fetchBots.mockResolvedValue([]);
    const wrapper = mount(AdminBotActivity, { global: { plugins: [i18n] } });
    await flushPromises();
    expect(wrapper.text()).toContain('No bots yet');
    expect(wrapper.find('canvas').exists()).toBe(false);
  });
});
