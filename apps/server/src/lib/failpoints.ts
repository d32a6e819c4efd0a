/**
 * Failpoints let the fault tests kill the server at an exact step, so "crashed after the commit but
 * before the acknowledgement" is a deterministic test rather than a lucky timing. They do nothing
 * unless NODE_ENV is 'test' and PARLEY_FAILPOINTS (comma-separated names) names the point; then the
 * process is SIGKILLed on the spot, as a power cut would: no handler, hook or flush runs.
 *
 * The points (keep this list in step with the calls):
 * - 'message-send:before-commit': message-batch-store.ts, inside a send batch's transaction, its
 *   conversations locked and read, right before the command that inserts its rows and commits. The
 *   database rolls the transaction back: nothing is stored.
 * - 'message-send:after-commit': messages.socket.ts 'message:send', right after the message is
 *   stored and before it is broadcast or acknowledged. The message is stored but nobody was told.
 */
export type FailpointName = 'message-send:before-commit' | 'message-send:after-commit';

export function failpoint(name: FailpointName): void {
  if (process.env.NODE_ENV !== 'test') return;
  const armed = process.env.PARLEY_FAILPOINTS;
  if (!armed || !armed.split(',').some((entry) => entry.trim() === name)) return;
  process.kill(process.pid, 'SIGKILL');
}
