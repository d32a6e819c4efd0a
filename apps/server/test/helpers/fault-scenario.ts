// What every fault test around a real server process needs, so that each file shows only the fault
// it injects: a fresh database, the server on it, and clients that do not outlive their test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';
import { ServerProcess, type ServerProcessOptions, type StartOptions } from './server-process.js';
import type { TestUser } from './server.js';
import { TestClient, type TestClientOptions } from './test-client.js';

export interface FaultScenarioOptions {
  /** May start what the server should reach its backends through (a proxy to cut). */
  server: (database: TestDatabase) => ServerProcessOptions | Promise<ServerProcessOptions>;
  start?: StartOptions;
  /** Runs once the server is dead, so it cannot touch what this tears down (e.g. its Redis keys). */
  cleanup?: () => Promise<void>;
}

export interface FaultScenario {
  readonly database: TestDatabase;
  readonly server: ServerProcess;
  readonly clients: TestClient[];
  connect(options: Omit<TestClientOptions, 'url'> & { url?: string }): Promise<TestClient>;
}

/** Registers the describe block's hooks; database and server are set once its beforeAll has run. */
export function useFaultScenario(options: FaultScenarioOptions): FaultScenario {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  const clients: TestClient[] = [];
  const running = () => {
    if (!server) throw new Error('no server process before beforeAll');
    return server;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await ServerProcess.start(await options.server(database), options.start);
  });

  afterEach(({ task }) => {
    // Both sides of the story, since a fault failure rarely shows from the assertion alone.
    if (task.result?.state === 'fail') {
      for (const client of clients) console.warn(`${client.name}:\n${client.journal.join('\n')}`);
      console.warn(server?.logs());
    }
    const violations = clients.flatMap((client) =>
      client.contractViolations.map((v) => `${client.name}: ${v}`),
    );
    for (const client of clients.splice(0)) client.close();
    // What the server sent must match the shared contract (the clients check every event and ack).
    if (violations.length > 0) throw new Error(`contract violations:\n${violations.join('\n')}`);
  });

  afterAll(async () => {
    await server?.kill();
    await options.cleanup?.();
    await database?.drop();
  });

  return {
    get database() {
      if (!database) throw new Error('no test database before beforeAll');
      return database;
    },
    get server() {
      return running();
    },
    clients,
    async connect({ url, ...rest }) {
      const client = new TestClient({ url: url ?? running().url, ...rest });
      clients.push(client);
      await client.connect();
      return client;
    },
  };
}

/** Alice and Bob in one group: where most of the client's tests against a real server start. */
export interface GroupOfTwo {
  alice: TestUser;
  bob: TestUser;
  conversationId: number;
}

/**
 * useFaultScenario on a plain server (its own database, nothing injected), with Alice and Bob signed
 * up and in one group once the describe block's beforeAll has run: call `group()` inside a test.
 */
export function useGroupOfTwo(): { scenario: FaultScenario; group: () => GroupOfTwo } {
  const scenario = useFaultScenario({ server: (database) => ({ databaseUrl: database.url }) });
  let made: GroupOfTwo | undefined;
  beforeAll(async () => {
    const [alice, bob] = [await scenario.server.signUp(), await scenario.server.signUp()];
    made = { alice, bob, conversationId: await scenario.server.createGroup(alice, [bob]) };
  });
  return {
    scenario,
    group: () => {
      if (!made) throw new Error('no group before beforeAll');
      return made;
    },
  };
}
