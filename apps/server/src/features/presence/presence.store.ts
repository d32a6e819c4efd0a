import type { PresenceStatus } from '@parley/shared';
import type { Redis } from 'ioredis';

export type TabStatus = Exclude<PresenceStatus, 'offline'>;

/** One connected tab: its user, its socket's id, and whether it is idle. */
export interface LiveTab {
  userId: number;
  socketId: string;
  status: TabStatus;
}

/** Where each connected tab's state is kept: per process in memory, or shared in Redis. */
export interface PresenceStore {
  /** Sets one tab's state; answers the user's status just before, read atomically with the write. */
  setTab(userId: number, socketId: string, status: TabStatus): Promise<PresenceStatus>;
  /**
   * Renews each tab's lease with its state, the writes sent in order before this returns its
   * promise: a removal asked for afterwards lands after them.
   */
  renewTabs(tabs: readonly LiveTab[]): Promise<void>;
  /** Forgets one tab; answers the user's status just before. */
  removeTab(userId: number, socketId: string): Promise<PresenceStatus>;
  /** Online while any tab is, away while every tab is idle, offline with none. */
  statusOf(userIds: number[]): Promise<Map<number, PresenceStatus>>;
  /**
   * The users among `userIds` who are not offline, with their status; everyone else is offline.
   * What a snapshot needs, without an entry for each of a large group's offline members.
   */
  liveAmong(userIds: number[]): Promise<Map<number, TabStatus>>;
}

function combine(statuses: Iterable<TabStatus>): PresenceStatus {
  let result: PresenceStatus = 'offline';
  for (const status of statuses) {
    if (status === 'online') return 'online';
    result = 'away';
  }
  return result;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly tabs = new Map<number, Map<string, TabStatus>>();

  async setTab(userId: number, socketId: string, status: TabStatus): Promise<PresenceStatus> {
    const tabs = this.tabs.get(userId) ?? new Map<string, TabStatus>();
    const before = combine(tabs.values());
    tabs.set(socketId, status);
    this.tabs.set(userId, tabs);
    return before;
  }

  async renewTabs(tabs: readonly LiveTab[]): Promise<void> {
    for (const { userId, socketId, status } of tabs) await this.setTab(userId, socketId, status);
  }

  async removeTab(userId: number, socketId: string): Promise<PresenceStatus> {
    const tabs = this.tabs.get(userId);
    const before = combine(tabs?.values() ?? []);
    tabs?.delete(socketId);
    if (tabs?.size === 0) this.tabs.delete(userId);
    return before;
  }

  async statusOf(userIds: number[]): Promise<Map<number, PresenceStatus>> {
    return new Map(userIds.map((userId) => [userId, combine(this.tabs.get(userId)?.values() ?? [])]));
  }

  async liveAmong(userIds: number[]): Promise<Map<number, TabStatus>> {
    const result = new Map<number, TabStatus>();
    for (const userId of userIds) {
      const tabs = this.tabs.get(userId);
      if (!tabs) continue;
      const status = combine(tabs.values());
      if (status !== 'offline') result.set(userId, status);
    }
    return result;
  }

  /** Every tab this process holds, for refreshing their leases elsewhere. */
  entries(): LiveTab[] {
    return [...this.tabs].flatMap(([userId, tabs]) =>
      [...tabs].map(([socketId, status]) => ({ userId, socketId, status })),
    );
  }
}

/**
 * One hash per user: socket id → "status:lease expiry". A process that dies without cleaning up
 * leaves entries whose lease runs out, so its users do not stay online for ever.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private key(userId: number): string {
    return `${this.keyPrefix}presence:${userId}`;
  }

  async setTab(userId: number, socketId: string, status: TabStatus): Promise<PresenceStatus> {
    const replies = await this.redis
      .multi()
      .hgetall(this.key(userId))
      .hset(this.key(userId), socketId, `${status}:${this.now() + this.leaseMs}`)
      .pexpire(this.key(userId), this.leaseMs * 2)
      .exec();
    return this.statusFromReply(replies?.[0]);
  }

  async renewTabs(tabs: readonly LiveTab[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    const expiry = this.now() + this.leaseMs;
    for (const { userId, socketId, status } of tabs) {
      pipeline
        .hset(this.key(userId), socketId, `${status}:${expiry}`)
        .pexpire(this.key(userId), this.leaseMs * 2);
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  async removeTab(userId: number, socketId: string): Promise<PresenceStatus> {
    const replies = await this.redis
      .multi()
      .hgetall(this.key(userId))
      .hdel(this.key(userId), socketId)
      .exec();
    return this.statusFromReply(replies?.[0]);
  }

  async statusOf(userIds: number[]): Promise<Map<number, PresenceStatus>> {
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.hgetall(this.key(userId));
    const replies = (await pipeline.exec()) ?? [];
    return new Map(userIds.map((userId, index) => [userId, this.statusFromReply(replies[index])]));
  }

  async liveAmong(userIds: number[]): Promise<Map<number, TabStatus>> {
    const result = new Map<number, TabStatus>();
    for (const [userId, status] of await this.statusOf(userIds))
      if (status !== 'offline') result.set(userId, status);
    return result;
  }

  /** The combined status of an HGETALL reply's tabs whose lease has not run out. */
  private statusFromReply(reply: [Error | null, unknown] | undefined): PresenceStatus {
    const [error, tabs] = reply ?? [null, {}];
    if (error) throw error;
    const now = this.now();
    const live = Object.values((tabs ?? {}) as Record<string, string>)
      .map((value) => value.split(':'))
      .filter(([, expiry]) => Number(expiry) > now)
      .map(([status]) => (status === 'away' ? 'away' : 'online') as TabStatus);
    return combine(live);
  }
}
