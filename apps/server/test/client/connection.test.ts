import { ErrorCode, type SessionEnded } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import type { ConnectionState } from '@parley/client';
import { useFaultScenario } from '../helpers/fault-scenario.js';

describe('the connection against a real server', () => {
  const scenario = useFaultScenario({ server: (database) => ({ databaseUrl: database.url }) });

  it('setNetwork(false) drops the connection at once (reconnecting), and setNetwork(true) brings it back', async () => {
    const user = await scenario.server.signUp();
    const client = await scenario.connect({ cookie: user.cookie, conversationIds: [], name: 'user' });
    const states: ConnectionState[] = [];
    client.client.on('connection', ({ state }) => states.push(state));

    client.client.setNetwork(false);
    await expect.poll(() => states).toContain('reconnecting');
    client.client.setNetwork(true);
    await expect.poll(() => client.connected).toBe(true);
    expect(states.at(-1)).toBe('connected');
    expect(client.connects).toBe(2);
  });

  it('a session that ends (logged out elsewhere) says so, and the connection ends refused, not retried', async () => {
    const user = await scenario.server.signUp();
    const client = await scenario.connect({ cookie: user.cookie, conversationIds: [], name: 'user' });
    const ended: SessionEnded[] = [];
    client.client.on('session:ended', (reason) => ended.push(reason));

    expect((await scenario.server.http('POST', '/api/auth/logout', { cookie: user.cookie })).status).toBe(
      204,
    );
    await expect
      .poll(() => client.client.transport.state)
      .toEqual({
        state: 'refused',
        code: ErrorCode.Unauthenticated,
      });
    expect(ended.map((reason) => reason.code)).toEqual([ErrorCode.Unauthenticated]);
    expect(client.connected).toBe(false);
  });
});
