import { ClientEvent, ServerEvent, type Presence } from '@parley/shared';
import { describe, expect, it, vi } from 'vitest';
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

  it('stops watching a group it was removed from, told or not', async () => {
    const [alice, bob, carol, dave] = [
      await scenario.server.signUp(),
      await scenario.server.signUp(),
      await scenario.server.signUp(),
      await scenario.server.signUp(),
    ];
    const groupId = await scenario.server.createGroup(alice, [bob, carol, dave]);
    const remove = async (member: { id: number }) => {
      const response = await scenario.server.http(
        'DELETE',
        `/api/conversations/${groupId}/members/${member.id}`,
        {
          cookie: alice.cookie,
        },
      );
      expect(response.status).toBe(200);
    };
    const watching = async (cookie: string, name: string) => {
      const member = await scenario.connect({ cookie, conversationIds: [], name });
      let snapshots = 0;
      member.client.on('presence:snapshot', () => (snapshots += 1));
      expect((await member.client.watchPresence(groupId)).ok).toBe(true);
      const request = vi.spyOn(member.client.transport, 'request');
      /** Watches asked for since the connection last dropped. */
      const watches = () =>
        request.mock.calls.filter(([event]) => event === ClientEvent.PresenceWatch).length;
      /**
       * Drops the connection and forgets the requests made so far: the first connection's snapshot
       * may arrive after the watch above and ask again, which is not what is counted.
       */
      const drop = async () => {
        member.client.setNetwork(false);
        await expect.poll(() => member.connected).toBe(false);
        request.mockClear();
      };
      /** Drops the connection and comes back; resolves once the new connection's snapshot is handled. */
      const reconnect = async () => {
        const before = snapshots;
        await drop();
        member.client.setNetwork(true);
        // The client watches again inside its snapshot handler, before this poll can see the count.
        await expect.poll(() => snapshots).toBe(before + 1);
      };
      return { member, request, watches, drop, reconnect };
    };

    // Told: conversation:removed arrives while connected, and no reconnect asks again.
    const told = await watching(bob.cookie, 'bob');
    const removals: number[] = [];
    told.member.client.transport.onServer(ServerEvent.ConversationRemoved, ({ conversationId }) =>
      removals.push(conversationId),
    );
    await remove(bob);
    await expect.poll(() => removals).toEqual([groupId]);
    await told.reconnect();
    expect(told.watches()).toBe(0);

    // Not told (removed while away): one watch after the reconnect is refused, and none after that.
    // Away for sure: a dropped connection comes back by itself within the back-off (50-150 ms here),
    // and could then hear of the removal, so the client goes offline on purpose until told.
    const away = await watching(carol.cookie, 'carol');
    away.member.goOffline();
    away.request.mockClear();
    await remove(carol);
    expect(away.member.connected).toBe(false);
    await away.member.connect();
    await expect.poll(() => away.watches()).toBe(1);
    const watch = away.request.mock.calls.findIndex(([event]) => event === ClientEvent.PresenceWatch);
    const refused: unknown = await away.request.mock.results[watch]!.value;
    expect(refused).toMatchObject({ ok: false, error: { code: 'conversation/not_found' } });
    await away.reconnect();
    expect(away.watches()).toBe(0);
  });
});
