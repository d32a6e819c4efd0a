import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { TestUser } from '../helpers/server.js';
import { readStoredMessages } from '../helpers/stored-messages.js';

// @parley/client's README: its examples, run against the real server (which is why they are here).
const README = fileURLToPath(new URL('../../../../packages/client/README.md', import.meta.url));

/** The README's echo bot, pointed at the test server. */
async function echoBotExample(url: string): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const code = /## An echo bot in Node[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error('no echo bot in README.md');
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(22);
  return code.replace("'http://127.0.0.1:3000'", JSON.stringify(url));
}

describe('the README’s echo bot', () => {
  const scenario = useFaultScenario({ server: (database) => ({ databaseUrl: database.url }) });
  let admin: TestUser;
  let person: TestUser;
  let bot: { id: number; username: string; token: string };
  let child: ChildProcess | undefined;
  const script = fileURLToPath(new URL(`./.readme-echo-bot-${process.pid}.ts`, import.meta.url));

  beforeAll(async () => {
    admin = await scenario.server.signUp(); // the first account is the site admin
    person = await scenario.server.signUp();
    const created = await scenario.server.http<{ bot: { id: number; username: string } }>(
      'POST',
      '/api/admin/bots',
      {
        cookie: admin.cookie,
        body: { username: `echo_${process.pid}`, displayName: 'Echo' },
      },
    );
    const token = await scenario.server.http<{ secret: string }>(
      'POST',
      `/api/admin/bots/${created.body.bot.id}/tokens`,
      { cookie: admin.cookie, body: {} },
    );
    bot = { ...created.body.bot, token: token.body.secret };
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await rm(script, { force: true });
  });

  it('answers a person’s direct message once, as the bot', async () => {
    await writeFile(script, await echoBotExample(scenario.server.url));
    child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--conditions=@parley/source', script],
      {
        env: { ...process.env, PARLEY_BOT_TOKEN: bot.token },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      child!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes(`${bot.username} is listening`)) resolve();
      });
      child!.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child!.once('close', (code) => reject(new Error(`the bot exited with ${code}: ${output}`)));
    });
    await listening;

    const direct = await scenario.server.http<{ conversation: { id: number } }>(
      'POST',
      '/api/conversations/direct',
      {
        cookie: person.cookie,
        body: { username: bot.username },
      },
    );
    const conversationId = direct.body.conversation.id;
    const client = await scenario.connect({
      cookie: person.cookie,
      conversationIds: [conversationId],
      name: 'person',
    });
    const reply = new Promise<Message>((resolve) =>
      client.client.on('message:added', ({ message }) => {
        if (message.sender.id === bot.id) resolve(message);
      }),
    );
    client.send(conversationId, 'ping');
    const answer = await reply;
    expect(answer).toMatchObject({ text: 'You said: ping', sender: { username: bot.username, kind: 'bot' } });

    // A later message of the person's is the barrier: once its answer is stored, no second answer to "ping" came.
    client.send(conversationId, 'pong');
    await new Promise<void>((resolve) =>
      client.client.on('message:added', ({ message }) => {
        if (message.text === 'You said: pong') resolve();
      }),
    );
    const stored = (await readStoredMessages(scenario.database.url)).filter((row) => row.senderId === bot.id);
    expect(stored.map((row) => row.text)).toEqual(['You said: ping', 'You said: pong']);
  });
});
