import type { AuditEntryView } from '@parley/shared';
import { AUDIT_ACTIONS } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import AuditRows from '@/components/admin/AuditRows.vue';
import { auditChanges } from '@/components/admin/format';
import { i18n, setLocale } from '@/i18n';
import en from '@/i18n/en';
import zh from '@/i18n/zh-CN';

const entry = (over: Partial<AuditEntryView>): AuditEntryView => ({
  id: 1,
  createdAt: '2026-12-07T09:00:00.000Z',
  actor: { id: 1, username: 'root' },
  action: 'site.user.role',
  conversationId: null,
  conversationName: null,
  targetUserId: null,
  targetUsername: null,
  before: null,
  after: null,
  ...over,
});

const whatOf = (entries: AuditEntryView[]) =>
  mount(AuditRows, { props: { entries }, global: { plugins: [i18n] } })
    .findAll('[data-testid="audit-what"]')
    .map((cell) => cell.findAll('span, code').map((part) => part.text()));

afterEach(() => setLocale('en'));

describe('AuditRows', () => {
  it('says what happened in words, to whom and in which group by name, with the stored action', () => {
    expect(
      whatOf([
        entry({ action: 'site.user.role', targetUserId: 7, targetUsername: 'mallory' }),
        entry({
          action: 'group.member.ban',
          targetUserId: 8,
          targetUsername: 'cy',
          conversationId: 3,
          conversationName: 'Night shift',
        }),
        entry({ action: 'site.group.delete', conversationId: 4 }),
        entry({ action: 'group.settings', targetUserId: 9, conversationId: 5 }),
        entry({ action: 'site.future.thing' }),
      ]),
    ).toEqual([
      ['Changed a site role', '@mallory', 'site.user.role'],
      ['Banned a member', '@cy · Night shift', 'group.member.ban'],
      ['Deleted a group', 'deleted group 4', 'site.group.delete'],
      ['Changed group settings', 'user 9 · group 5', 'group.settings'],
      ['site.future.thing', 'site.future.thing'],
    ]);
  });

  it('names every action the server records, in both languages', () => {
    for (const messages of [en, zh]) {
      const names = messages.admin.audit.actions as Record<string, string>;
      expect(Object.keys(names).sort()).toEqual(
        AUDIT_ACTIONS.map((action) => action.replaceAll('.', '_')).sort(),
      );
    }
    setLocale('zh-CN');
    expect(whatOf([entry({ action: 'group.owner.transfer' })])[0]![0]).toBe('转让群主');
  });
});

describe('auditChanges', () => {
  it('lists the fields of two objects that differ, and one-sided ones, in the order first seen', () => {
    expect(auditChanges({ role: 'admin', name: 'x' }, { role: 'user', name: 'x', extra: [1] })).toEqual([
      { field: 'role', before: 'admin', after: 'user' },
      { field: 'extra', before: '—', after: '[1]' },
    ]);
    expect(auditChanges({ name: 'Doomed', members: 2 }, null)).toEqual([
      { field: 'name', before: 'Doomed', after: '—' },
      { field: 'members', before: '2', after: '—' },
    ]);
    expect(auditChanges(null, { archivedAt: null })).toEqual([]);
  });

  it('shows values that are not objects whole, and nothing for nothing', () => {
    expect(auditChanges('open', 'closed')).toEqual([{ field: null, before: 'open', after: 'closed' }]);
    expect(auditChanges([1], [2])).toEqual([{ field: null, before: '[1]', after: '[2]' }]);
    expect(auditChanges(null, undefined)).toEqual([]);
  });

  it('shows a timestamp the way it is told to', () => {
    const at = '2026-12-07T09:47:13.504Z';
    expect(auditChanges({ deactivatedAt: null }, { deactivatedAt: at }, (iso) => `<${iso}>`)).toEqual([
      { field: 'deactivatedAt', before: '—', after: `<${at}>` },
    ]);
    expect(auditChanges('2026-12-07', 'x', () => 'time')).toEqual([
      { field: null, before: '2026-12-07', after: 'x' },
    ]);
  });
});
