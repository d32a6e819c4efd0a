// Usage numbers for the console, and the query plans behind them: a range over the
// (createdAt, senderId, conversationId) index of messages, read from the index alone.
import type { Usage } from '@parley/shared';
import { USAGE_DAYS } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_SQL, usageWindowStart } from '../../../src/features/admin/usage.query.js';
import {
  createGroup,
  queryDatabase,
  sendText,
  startTestServer,
  type TestServer,
} from '../../helpers/server.js';

describe('usage numbers', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('counts today’s messages and senders, totals, and the busiest groups', async () => {
    const admin = await t.signUp();
    const [a, b] = await Promise.all([t.signUp(), t.signUp()]);
    const busy = await createGroup(t, a, [b], 'Busy');
    const quiet = await createGroup(t, a, [b], 'Quiet');
    const socketA = await t.connectSocket(a.cookie);
    const socketB = await t.connectSocket(b.cookie);
    for (let i = 0; i < 3; i += 1) await sendText(socketA, busy.id, `a${i}`);
    await sendText(socketB, busy.id, 'b');
    await sendText(socketB, quiet.id, 'q');
    // An old message, outside the window, counts in the totals only.
    await queryDatabase(t, 'UPDATE messages SET createdAt = ? WHERE conversationId = ? AND seq = 1', [
      new Date(Date.now() - 40 * 24 * 3600 * 1000),
      quiet.id,
    ]);

    const response = await t.http<Usage>('GET', '/api/admin/usage', { cookie: admin.cookie });
    expect(response.status).toBe(200);
    const usage = response.body;
    expect(usage.days).toHaveLength(USAGE_DAYS);
    const today = new Date().toISOString().slice(0, 10);
    expect(usage.days.at(-1)).toEqual({ day: today, messages: 4, activeUsers: 2 });
    expect(usage.days.slice(0, -1).every((day) => day.messages === 0)).toBe(true);
    expect(usage.totals).toMatchObject({ users: 3, groups: 2, messages: 5 });
    expect(usage.totals.storageBytes).toBeGreaterThan(0);
    expect(usage.busiestGroups).toEqual([{ id: busy.id, name: 'Busy', messages: 4 }]);
  });

  it('reads messages through the index alone, over the window only (EXPLAIN)', async () => {
    const start = usageWindowStart(new Date());
    for (const [name, sql] of Object.entries(USAGE_SQL)) {
      const plan = await queryDatabase<{ table: string; type: string; key: string | null; Extra: string }>(
        t,
        `EXPLAIN ${sql}`,
        [start],
      );
      expect(plan, name).toHaveLength(1);
      expect({ name, key: plan[0]!.key, type: plan[0]!.type }).toEqual({
        name,
        key: 'messages_createdAt_senderId_conversationId_idx',
        type: 'range',
      });
      expect(plan[0]!.Extra).toContain('Using index');
    }
  });
});
