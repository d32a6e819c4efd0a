import type { SystemEvent, UserSummary } from '@parley/shared';
import { useI18n } from 'vue-i18n';
import { isolate } from './bidi';
import { useDateFormat } from './useDateFormat';

/**
 * Words for a system message (a group change) in the reader's language: one line per change, since
 * one settings change may rename the group and pin an announcement at once. Names are isolated so
 * one cannot reorder the sentence around it.
 */
export function useSystemEventText() {
  const { t } = useI18n();
  const dates = useDateFormat();
  const name = (user: UserSummary) => isolate(user.displayName);

  return function lines(event: SystemEvent): string[] {
    const actor = name(event.actor);
    switch (event.kind) {
      case 'members_added':
        return [t('system.membersAdded', { actor, targets: event.targets.map(name).join(', ') })];
      case 'member_joined':
        return [t('system.memberJoined', { actor })];
      case 'member_left':
        return [t('system.memberLeft', { actor })];
      case 'member_removed':
        return [t('system.memberRemoved', { actor, target: name(event.target) })];
      case 'member_banned':
        return [t('system.memberBanned', { actor, target: name(event.target) })];
      case 'role_changed':
        return [
          t(event.to === 'admin' ? 'system.madeAdmin' : 'system.removedAdmin', {
            actor,
            target: name(event.target),
          }),
        ];
      case 'ownership_transferred':
        return [t('system.ownershipTransferred', { actor, target: name(event.target) })];
      case 'member_muted':
        return [
          event.until
            ? t('system.muted', { actor, target: name(event.target), time: dates.full(event.until) })
            : t('system.unmuted', { actor, target: name(event.target) }),
        ];
      case 'settings_changed': {
        const { changes } = event;
        const out: string[] = [];
        if (changes.name) out.push(t('system.renamed', { actor, name: isolate(changes.name.to) }));
        if (changes.description) out.push(t('system.descriptionChanged', { actor }));
        if (changes.announcement)
          out.push(
            t(changes.announcement.to ? 'system.announcementPinned' : 'system.announcementCleared', {
              actor,
            }),
          );
        if (changes.onlyAdminsPost)
          out.push(t(changes.onlyAdminsPost.to ? 'system.adminsOnlyOn' : 'system.adminsOnlyOff', { actor }));
        if (changes.slowModeSeconds)
          out.push(
            changes.slowModeSeconds.to > 0
              ? t('system.slowModeOn', { actor, seconds: changes.slowModeSeconds.to })
              : t('system.slowModeOff', { actor }),
          );
        return out;
      }
      case 'group_archived':
        return [t('system.groupArchived', { actor })];
      case 'group_unarchived':
        return [t('system.groupUnarchived', { actor })];
    }
  };
}
