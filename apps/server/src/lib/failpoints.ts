/**
 * Failpoints let the fault tests stop the server at an exact step, so "crashed after the commit but
 * before the acknowledgement" or "deactivated between a batch's read and its commit" is a
 * deterministic test rather than a lucky timing. They do nothing unless NODE_ENV is 'test'. Then a
 * point does one of two things:
 * - kill: PARLEY_FAILPOINTS (comma-separated names) names it; the process is SIGKILLed on the spot,
 *   as a power cut would: no handler, hook or flush runs.
 * - hold: a test running the server in its own process armed it with `holdAtFailpoint`; the next
 *   operation to reach it waits there, its transaction open and its locks held, until released.
 *
 * The points (keep this list in step with the calls):
 * - 'message-send:before-commit': message-batch-store.ts, inside a send batch's transaction, between
 *   its two round trips: its conversations locked and read, right before the command that inserts its
 *   rows and commits. Killed there, the database rolls the transaction back: nothing is stored. A
 *   batch stores in one round trip unless this point is armed (it has no such point then).
 * - 'message-send:after-commit': messages.socket.ts 'message:send', right after the message is
 *   stored and before it is broadcast or acknowledged. The message is stored but nobody was told.
 * - 'message-change:before-write': messages.repository.ts `change`, inside an edit's, delete's or
 *   reaction's transaction, its conversation locked and its checks read, before anything is written.
 * - 'admin-user-change:admins-locked': features/admin/users.service.ts, inside a site admin's change
 *   of an account, right after the statement that locks the active admins' rows and the target's
 *   (in id order) returns, before the admins are counted.
 * - 'admin-user-change:locked': features/admin/users.service.ts, inside a site admin's change of an
 *   account, the active admins' rows and the target's locked, before the change.
 * - 'conversation-view:rows-read': conversations.repository.ts `assemble`, a conversation list's or
 *   copy's rows read (last seq, read position), before its last messages and unread counts are.
 * - 'admin-group-delete:slice-deleted': features/admin/groups.service.ts `remove`, after each slice
 *   of a deleted group's messages is committed, no transaction open, before the next slice.
 * - 'login:password-verified': features/auth/auth.routes.ts, a login's password verified, before its
 *   session is made.
 * - 'password-change:written': features/account/account.routes.ts, a password change's new hash
 *   written, before the account's sessions are ended and the caller's is saved anew.
 */
export type FailpointName =
  | 'message-send:before-commit'
  | 'message-send:after-commit'
  | 'message-change:before-write'
  | 'admin-user-change:admins-locked'
  | 'admin-user-change:locked'
  | 'conversation-view:rows-read'
  | 'admin-group-delete:slice-deleted'
  | 'login:password-verified'
  | 'password-change:written'
  | 'message-search:query';

/** A hold armed by a test: `reached` resolves once an operation waits at the point; `release` lets it go. */
export interface FailpointHold {
  reached: Promise<void>;
  release(): void;
}

interface ArmedHold {
  arrived: () => void;
  released: Promise<void>;
}

const holds = new Map<FailpointName, ArmedHold>();

/**
 * Read once, when the module loads: the environment is fixed for a process's life (the fault tests
 * start a server process with it), and `process.env` is a lookup in the C++ environment on every
 * read, which on the send path cost about 0.5% of a server's CPU in a profile at 800 msg/s.
 */
const enabled = process.env.NODE_ENV === 'test';
const killAt = new Set(
  enabled ? (process.env.PARLEY_FAILPOINTS ?? '').split(',').map((entry) => entry.trim()) : [],
);

/**
 * Arms a one-shot hold at `name` in this process (tests only: throws outside NODE_ENV 'test'). The
 * first operation to reach the point afterwards waits there; later ones pass, as does every one once
 * released. Releasing before any operation arrived disarms it.
 */
export function holdAtFailpoint(name: FailpointName): FailpointHold {
  if (!enabled) throw new Error('Failpoints are for tests only');
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  holds.set(name, { arrived, released });
  return {
    reached,
    release: () => {
      if (holds.get(name)?.released === released) holds.delete(name);
      release();
    },
  };
}

/**
 * Whether `name` would hold or kill now: for code that has a way without the point and must take the
 * one with it while a test aims at it (message-batch-store.ts). False outside NODE_ENV 'test'.
 */
export function failpointArmed(name: FailpointName): boolean {
  return enabled && (killAt.has(name) || holds.has(name));
}

/**
 * Marks the point `name`. Returns a promise to await while a test holds the point, and undefined
 * otherwise (the usual case: no allocation, no extra tick for callers that check). Kills the process
 * when PARLEY_FAILPOINTS names it.
 */
export function failpoint(name: FailpointName): Promise<void> | undefined {
  if (!enabled) return undefined;
  if (killAt.has(name)) process.kill(process.pid, 'SIGKILL');
  const hold = holds.get(name);
  if (!hold) return undefined;
  holds.delete(name);
  hold.arrived();
  return hold.released;
}
