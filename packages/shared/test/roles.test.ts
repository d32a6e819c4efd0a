import { describe, expect, it } from 'vitest';
import { GROUP_ACTIONS, GROUP_ROLE_TABLE, mayAct, systemEventSchema } from '../src/index.js';

describe('the group role table', () => {
  it('has a rule for every action and role', () => {
    expect(Object.keys(GROUP_ROLE_TABLE).sort()).toEqual([...GROUP_ACTIONS].sort());
    for (const action of GROUP_ACTIONS)
      expect(Object.keys(GROUP_ROLE_TABLE[action]).sort()).toEqual(['admin', 'member', 'owner']);
  });

  it('lets a "lower" rule act only on roles ranking below the actor', () => {
    expect(mayAct('removeMember', 'owner', 'admin')).toBe(true);
    expect(mayAct('removeMember', 'admin', 'member')).toBe(true);
    expect(mayAct('removeMember', 'admin', 'admin')).toBe(false);
    expect(mayAct('removeMember', 'admin', 'owner')).toBe(false);
    expect(mayAct('removeMember', 'owner', 'owner')).toBe(false);
    expect(mayAct('removeMember', 'member', 'member')).toBe(false);
  });

  it('never lets a member administer, and keeps role changes with the owner', () => {
    for (const action of GROUP_ACTIONS.filter((a) => a !== 'leave'))
      expect(mayAct(action, 'member', 'member')).toBe(false);
    expect(mayAct('setRole', 'admin', 'member')).toBe(false);
    expect(mayAct('transferOwnership', 'admin', 'member')).toBe(false);
  });
});

describe('system events', () => {
  it('refuses an unknown kind, so clients only ever word what they know', () => {
    const actor = { id: 1, username: 'ada', displayName: 'Ada' };
    expect(systemEventSchema.safeParse({ kind: 'member_left', actor }).success).toBe(true);
    expect(systemEventSchema.safeParse({ kind: 'member_vanished', actor }).success).toBe(false);
  });
});
