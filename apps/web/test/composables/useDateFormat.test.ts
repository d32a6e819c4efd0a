import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { useDateFormat } from '@/composables/useDateFormat';
import { i18n, setLocale } from '@/i18n';

/** useDateFormat as a component's setup has it (it follows the language picker). */
function dateFormat() {
  let dates: ReturnType<typeof useDateFormat> | undefined;
  mount(
    defineComponent({
      setup: () => {
        dates = useDateFormat();
      },
      template: '<p />',
    }),
    { global: { plugins: [i18n] } },
  );
  return dates!;
}

/** A local time on a given day of December 2026 (the 7th is a Monday). */
const at = (day: number, hour: number, minute = 0) => new Date(2026, 11, day, hour, minute).toISOString();

describe('useDateFormat().ahead: when a mute ends, short', () => {
  it('says the time today, the weekday and time this week, and the date after that', () => {
    const dates = dateFormat();
    const now = new Date(at(7, 9));
    expect(dates.ahead(at(7, 17, 5), now)).toBe('5:05 PM');
    expect(dates.ahead(at(8, 1, 43), now)).toBe('Tue 1:43 AM');
    expect(dates.ahead(at(14, 9, 30), now)).toBe('Dec 14, 9:30 AM');
    expect(dates.ahead(new Date(2027, 0, 3, 8).toISOString(), now)).toBe('Jan 3, 2027, 8:00 AM');
  });

  it('follows the language picker', () => {
    setLocale('zh-CN');
    const dates = dateFormat();
    expect(dates.ahead(at(8, 1, 43), new Date(at(7, 9)))).toBe('周二01:43');
  });
});
