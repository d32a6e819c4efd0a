import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { TestUser } from '../helpers/server.js';
import { readStoredMessages } from '../helpers/stored-messages.js';

// @parley/client's README: its examples, run against the real server (which is why they are here).
const README = fileURLToPath(new URL('../../../../packages/client/README.md', import.meta.url));

/** The README's Node example, pointed at the test server and user. */
async function readmeExample(url: string, username: string): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const code = /## A Node example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error('no Node example in README.md');
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(22);
  return code
    .replace("'http://127.0.0.1:3000'", JSON.stringify(url))
    .replace("'ada'", JSON.stringify(username));
}

describe('the README', () => {
  const scenario = useFaultScenario({ server: (database) => ({ databaseUrl: database.url }) });
  let ada: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    [ada, bob] = [await scenario.server.signUp(), await scenario.server.signUp()];
    const conversationId = await scenario.server.createGroup(bob, [ada]);
    const bobClient = await scenario.connect({ cookie: bob.cookie, conversationIds: [], name: 'bob' });
    bobClient.send(conversationId, 'hello ada');
    await bobClient.whenOutboxSettled();
  });

  it('has a Node example that logs in, prints what others wrote and sends a message once', async () => {
    // Beside this test, so that `@parley/client` resolves to the server's dependency on the package.
    const script = fileURLToPath(new URL(`./.readme-example-${process.pid}.ts`, import.meta.url));
    const workDirectory = await mkdtemp(join(tmpdir(), 'parley-readme-'));
    try {
      await writeFile(script, await readmeExample(scenario.server.url, ada.username));
      const child = spawn(
        process.execPath,
        ['--import', import.meta.resolve('tsx'), '--conditions=@parley/source', script],
        { cwd: workDirectory, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(code, output).toBe(0);
      expect(output).toContain(`${bob.username} display: hello ada`);
      const sent = (await readStoredMessages(scenario.database.url)).filter((row) => row.senderId === ada.id);
      expect(sent.map((row) => row.text)).toEqual(['Hello from Node']);
    } finally {
      await rm(script, { force: true });
      await rm(workDirectory, { recursive: true, force: true });
    }
  });
});
