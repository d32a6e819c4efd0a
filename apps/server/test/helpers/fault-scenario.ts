// What every fault test around a real server process needs, so that each file shows only the fault
// it injects: a fresh database, the server on it, and clients that do not outlive their test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ChatClient, type ChatClientOptions } from './chat-client.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { ServerProcess, type ServerProcessOptions, type StartOptions } from './server-process.js';

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
  readonly clients: ChatClient[];
  connect(options: Omit<ChatClientOptions, 'url'> & { url?: string }): Promise<ChatClient>;
}

/** Registers the describe block's hooks; database and server are set once its beforeAll has run. */
export function useFaultScenario(options: FaultScenarioOptions): FaultScenario {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  const clients: ChatClient[] = [];
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
    for (const client of clients.splice(0)) client.close();
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
      const client = new ChatClient({ url: url ?? running().url, ...rest });
      clients.push(client);
      await client.connect();
      return client;
    },
  };
}
