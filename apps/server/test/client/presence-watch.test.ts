import type { Presence } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { useFaultScenario } from '../helpers/fault-scenario.js';

describe('watching a large group’s presence, against a real server', () => {
  // Groups of three or more are large here: their members are not each other's contacts.
  const scenario = useFaultScenario({
    server: (database) => ({
      databaseUrl: database.url,
      env: { PRESENCE_EAGER_MAX_MEMBERS: '2', PRESENCE_BATCH_MS: '100' },
    }),
  });

  it('tells who is online when asked, then their changes, and watches again after a reconnect', async () => {
    const [alice, bob, carol] = [
      await scenario.server.signUp(),
      await scenario.server.signUp(),
      await scenario.server.signUp(),
    ];
    const groupId = await scenario.server.createGroup(alice, [bob, carol]);
    await scenario.connect({ cookie: bob.cookie, conversationIds: [], name: 'bob' });
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const presence: Presence[] = [];
    aliceClient.client.on('presence', (changes) => presence.push(...changes));
    const statusOf = (userId: number) => presence.filter((p) => p.userId === userId).at(-1)?.status;

    const watched = await aliceClient.client.watchPresence(groupId);
    expect(watched.ok && watched.data.map((p) => p.userId).includes(bob.id)).toBe(true);
    expect(statusOf(bob.id)).toBe('online');

    // A new connection watches nothing until the client asks again, which it does by itself.
    aliceClient.client.setNetwork(false);
    await expect.poll(() => aliceClient.connected).toBe(false);
    aliceClient.client.setNetwork(true);
    await expect.poll(() => aliceClient.connects).toBe(2);
    await scenario.connect({ cookie: carol.cookie, conversationIds: [], name: 'carol' });
    await expect.poll(() => statusOf(carol.id)).toBe('online');
  });
});
