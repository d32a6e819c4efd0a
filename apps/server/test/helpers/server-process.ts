// The real server (src/server.ts) as a child process, so a test can SIGKILL it mid-request and start
// it again on the same port and database, as a crash and a supervisor's restart would.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FailpointName } from '../../src/lib/failpoints.js';
import { createHttpClient, signUpThrough, sleep, type HttpClient, type TestUser } from './server.js';
import { WAIT_CAP_MS } from './waits.js';

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_TIMEOUT_MS = 45_000;
/**
 * How long a run may take to end (a graceful stop, a failpoint's crash) before it counts as hung. The
 * server's own shutdown grace is 10 s (src/server.ts); past it the process exits with an error code,
 * which a test sees; this only has to lie past that, with room for a slow machine.
 */
const EXIT_TIMEOUT_MS = WAIT_CAP_MS;
const LOG_LINES_KEPT = 300;

/** Every child still running, so a failing test cannot leave one behind (see the exit hook below). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServerProcessOptions {
  databaseUrl: string;
  redis?: { url: string; keyPrefix: string };
  /** Extra environment (e.g. SOCKET_RATE_LIMIT). */
  env?: Record<string, string>;
  /** Give a second process the first one's secret, so their session cookies are interchangeable. */
  sessionSecret?: string;
}

export interface StartOptions {
  /** Armed for this run only; a restart without them runs clean. */
  failpoints?: FailpointName[];
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A free port on 127.0.0.1, chosen once so every restart listens where the clients reconnect. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export class ServerProcess {
  readonly url: string;
  readonly http: HttpClient;
  /** How each run ended, oldest first; a run still going is not listed. */
  readonly exits: ProcessExit[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<ProcessExit> | null = null;
  private readonly logLines: string[] = [];
  readonly sessionSecret: string;

  private constructor(
    readonly port: number,
    private readonly options: ServerProcessOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.sessionSecret = options.sessionSecret ?? randomBytes(32).toString('hex');
    this.http = createHttpClient(this.url);
  }

  /** Picks a port and starts the first run; resolves once /healthz answers. */
  static async start(options: ServerProcessOptions, startOptions: StartOptions = {}): Promise<ServerProcess> {
    const server = new ServerProcess(await freePort(), options);
    await server.start(startOptions);
    return server;
  }

  get isRunning(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the process wrote, for failure messages. */
  logs(): string {
    return this.logLines.join('\n');
  }

  async start({ failpoints = [] }: StartOptions = {}): Promise<void> {
    if (this.child) throw new Error('server process already running');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATABASE_URL: this.options.databaseUrl,
      SESSION_SECRET: this.sessionSecret,
      LOG_LEVEL: process.env.TEST_SERVER_LOG_LEVEL ?? 'warn',
      ALLOWED_ORIGINS: 'http://parley.test',
      PARLEY_FAILPOINTS: failpoints.join(','),
      // One process per ServerProcess: a test that kills it kills the whole server.
      PARLEY_PROCESSES: '1',
      ...(this.options.redis
        ? { REDIS_URL: this.options.redis.url, REDIS_KEY_PREFIX: this.options.redis.keyPrefix }
        : {}),
      ...this.options.env,
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@parley/source', 'src/server.ts'],
      {
        cwd: SERVER_DIR,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = null;
        const exit = { code, signal };
        this.exits.push(exit);
        this.log(`[process exited: code ${code}, signal ${signal}]`);
        resolve(exit);
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) this.log(line);
      });
    }
    await this.waitUntilHealthy(child);
  }

  /** SIGKILL: no shutdown hook runs, sockets drop as in a crash. Resolves once the process is gone. */
  async kill(): Promise<ProcessExit | null> {
    const child = this.child;
    if (!child || !this.exited) return null;
    child.kill('SIGKILL');
    return this.waitForExit();
  }

  /** SIGTERM: the graceful shutdown a deploy does; SIGKILL if it takes too long. */
  async stop(): Promise<ProcessExit | null> {
    const child = this.child;
    if (!child || !this.exited) return null;
    child.kill('SIGTERM');
    try {
      return await this.waitForExit();
    } catch {
      return this.kill();
    }
  }

  /** Resolves when the current run ends by itself (e.g. a failpoint fired). */
  async waitForExit(timeoutMs = EXIT_TIMEOUT_MS): Promise<ProcessExit> {
    if (!this.exited) throw new Error('server process never started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`server process did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async restart(startOptions: StartOptions = {}): Promise<void> {
    await this.kill();
    await this.start(startOptions);
  }

  /** Registers a user through the HTTP API (which signs them in); see signUpThrough. */
  signUp(username?: string): Promise<TestUser> {
    return signUpThrough(this.http, username);
  }

  async createGroup(owner: TestUser, members: TestUser[], name = 'Group'): Promise<number> {
    const response = await this.http<{ conversation: { id: number } }>('POST', '/api/conversations', {
      cookie: owner.cookie,
      body: { name, memberUsernames: members.map((member) => member.username) },
    });
    if (response.status !== 201)
      throw new Error(`group creation failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.conversation.id;
  }

  private log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_KEPT) this.logLines.shift();
  }

  private async waitUntilHealthy(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child !== child) throw new Error(`server process exited during start-up:\n${this.logs()}`);
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`server process not healthy within ${STARTUP_TIMEOUT_MS} ms:\n${this.logs()}`);
  }
}
