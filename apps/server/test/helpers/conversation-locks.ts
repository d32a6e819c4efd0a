// Holding a conversation's row lock from a connection of the test's own, so that a write of the
// server under test (a send batch, an edit) waits for it at a known step.
import type * as mariadb from 'mariadb';
import { expect } from 'vitest';

/**
 * Resolves, once `count` writes wait for a conversation's lock (a send batch locking it with
 * `SELECT … FOR UPDATE`, or an edit moving its change number with `UPDATE`), with their connection
 * ids. `raw` is the test's connection that holds the lock (it is left out).
 */
export async function waitForConversationLockWaits(raw: mariadb.Connection, count = 1): Promise<number[]> {
  let waiting: Array<{ id: bigint }> = [];
  await expect
    .poll(async () => {
      waiting = await raw.query(
        `SELECT ID AS id FROM information_schema.PROCESSLIST
          WHERE DB = DATABASE() AND ID <> CONNECTION_ID()
            AND (INFO LIKE 'UPDATE%conversations%' OR INFO LIKE 'SELECT%FROM conversations%FOR UPDATE')`,
      );
      return waiting.length;
    })
    .toBe(count);
  return waiting.map((row) => Number(row.id));
}
