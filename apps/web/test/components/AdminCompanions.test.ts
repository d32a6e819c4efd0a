import type { Bot, Companion } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { minutesToTime, timeToMinutes } from '@/components/admin/format';
import { i18n, setLocale } from '@/i18n';

const admin = vi.hoisted(() => ({ fetchBots: vi.fn() }));
const companionsApi = vi.hoisted(() => ({ fetchCompanions: vi.fn(), saveCompanion: vi.fn() }));
vi.mock('@/api/admin', () => admin);
vi.mock('@/api/companions', () => companionsApi);

const { default: AdminCompanions } = await import('@/components/admin/AdminCompanions.vue');

const bot = (id: number, username: string, displayName: string) => ({ id, username, displayName }) as Bot;
const BOTS = [bot(7, 'mira', 'Mira'), bot(8, 'echo', 'Echo'), bot(9, 'helper', 'Night Owl')];
const MIRA: Companion = {
  userId: 7,
  username: 'mira',
  displayName: 'Mira',
  persona: 'You are Mira.',
  greeting: 'Hello!',
  model: null,
  temperature: 0.7,
  maxReplyTokens: 300,
  checkInMinutes: 90,
  checkInSkipWhileActive: true,
  quietHours: { start: 22 * 60, end: 7 * 60 + 30 },
  available: true,
  unavailableReason: null,
  recentCounts: { replies_sent: 3 },
};

const mountIt = async () => {
  const wrapper = mount(AdminCompanions, { global: { plugins: [i18n] }, attachTo: document.body });
  await flushPromises();
  return wrapper;
};
const optionTexts = (wrapper: Awaited<ReturnType<typeof mountIt>>) =>
  wrapper.findAll('select option').map((option) => option.text());

describe('companions in the console', () => {
  beforeEach(() => {
    setLocale('en');
    admin.fetchBots.mockResolvedValue(BOTS);
    companionsApi.fetchCompanions.mockResolvedValue([MIRA]);
    companionsApi.saveCompanion.mockImplementation((userId: number) =>
      Promise.resolve({ ...MIRA, userId, displayName: BOTS.find((b) => b.id === userId)!.displayName }),
    );
  });
  afterEach(() => {
    vi.clearAllMocks();
    document.body.innerHTML = '';
  });

  it('converts quiet-hour times both ways', () => {
    expect(minutesToTime(7 * 60 + 5)).toBe('07:05');
    expect(timeToMinutes('22:30')).toBe(22 * 60 + 30);
    expect(timeToMinutes('23:59:30')).toBe(1439);
    expect(timeToMinutes('')).toBeNull();
    expect(timeToMinutes('25:00')).toBeNull();
  });

  it('shows each companion’s check-in policy and quiet hours', async () => {
    const wrapper = await mountIt();
    expect(wrapper.get('[data-testid=companion-policy]').text()).toBe(
      'After 90 min of silence · held while active elsewhere',
    );
    expect(wrapper.get('[data-testid=companion-quiet]').text()).toBe('22:00–07:30');
  });

  it('picks the bot from a list narrowed by name, and saves its quiet hours', async () => {
    const wrapper = await mountIt();
    expect(optionTexts(wrapper)).toEqual([
      'Choose a bot',
      'Mira (@mira)',
      'Echo (@echo)',
      'Night Owl (@helper)',
    ]);
    await wrapper.get('input[type=search]').setValue('owl');
    expect(optionTexts(wrapper)).toEqual(['Choose a bot', 'Night Owl (@helper)']);
    await wrapper.get('input[type=search]').setValue('nobody');
    expect(optionTexts(wrapper)).toEqual(['No bot matches']);
    await wrapper.get('input[type=search]').setValue('HELP');
    await wrapper.get('select').setValue('9');
    await wrapper.get('textarea').setValue('You are a night owl.');
    await wrapper.get('input[type=checkbox][aria-describedby]').setValue(true);
    const [start, end] = wrapper.findAll('input[type=time]');
    await start!.setValue('23:15');
    await end!.setValue('06:45');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(companionsApi.saveCompanion).toHaveBeenCalledWith(
      9,
      expect.objectContaining({
        persona: 'You are a night owl.',
        checkInMinutes: 1440,
        checkInSkipWhileActive: true,
        quietHours: { start: 23 * 60 + 15, end: 6 * 60 + 45 },
        model: null,
      }),
    );
    expect(wrapper.get('[role=status]').text()).toBe('Night Owl saved.');
  });

  it('edits a companion with its quiet hours; the same start and end are refused', async () => {
    const wrapper = await mountIt();
    await wrapper.get('button[aria-label="Edit Mira"]').trigger('click');
    expect((wrapper.get('select').element as HTMLSelectElement).value).toBe('7');
    const [start, end] = wrapper.findAll('input[type=time]');
    expect((start!.element as HTMLInputElement).value).toBe('22:00');
    expect((end!.element as HTMLInputElement).value).toBe('07:30');
    await end!.setValue('22:00');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(companionsApi.saveCompanion).not.toHaveBeenCalled();
    expect(wrapper.get('[role=alert]').text()).toBe('Quiet hours need a start and an end that differ.');
    // Turned off: saved as none.
    await wrapper.get('input[type=checkbox][aria-describedby]').setValue(false);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(companionsApi.saveCompanion).toHaveBeenCalledWith(
      7,
      expect.objectContaining({ quietHours: null }),
    );
  });

  it('speaks Chinese', async () => {
    setLocale('zh-CN');
    const wrapper = await mountIt();
    expect(wrapper.get('[data-testid=companion-policy]').text()).toBe(
      '沉默 90 分钟后 · 对方在别处活跃时暂缓',
    );
    expect(optionTexts(wrapper)[0]).toBe('选择机器人');
  });
});
