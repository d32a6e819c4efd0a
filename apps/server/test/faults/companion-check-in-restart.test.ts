import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companionChat, elapseSilence } from '../helpers/companions.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startScriptedModel, type RecordedRequest, type ScriptedModel } from '../helpers/scripted-model.js';
import { ServerProcess } from '../helpers/server-process.js';
import { connectSocketTo, queryDatabase, sendText, type TestServer } from '../helpers/server.js';

const isCheckIn = (request: RecordedRequest) =>
  request.messages.at(-1)?.role === 'system' && request.messages.at(-1)!.content.includes('check-in');

// The real server as a child process, killed while the model is writing a check-in and started
// again: the job outlives the process, and the check-in is stored once.
describe('a companion check-in across a crash and restart', () => {
  let database: TestDatabase;
  let model: ScriptedModel;
  let server: ServerProcess;
  let checkInsAsked = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    model = await startScriptedModel((request) => {
      if (!isCheckIn(request)) return { kind: 'reply', text: 'Noted.' };
      checkInsAsked += 1;
      // The first attempt never finishes: the process dies holding it.
      return checkInsAsked === 1 ? { kind: 'hang' } : { kind: 'reply', text: 'How are you doing today?' };
    });
    server = await ServerProcess.start({
      databaseUrl: database.url,
      env: {
        LLM_BASE_URL: model.baseUrl,
        LLM_MODEL: 'scripted',
        LLM_TIMEOUT_MS: '30000',
        COMPANION_JOB_POLL_MS: '50',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    await model.close();
    await database.drop();
  });

  it('is sent exactly once', async () => {
    const t = {
      http: server.http,
      signUp: () => server.signUp(),
      connectSocket: (cookie: string) => connectSocketTo(server.url, cookie),
      config: { databaseUrl: database.url },
    } as unknown as TestServer;
    const chat = await companionChat(t, { checkInMinutes: 1, checkInSkipWhileActive: false });
    await sendText(chat.socket, chat.conversationId, 'Long day.');
    await model.waitForRequests(1);
    await elapseSilence(t, chat.conversationId);
    while (checkInsAsked < 1) await model.waitForRequests(model.requests.length + 1);
    chat.socket.close();

    await server.restart();
    // The dead process's lease runs out (it would after 2 × LLM_TIMEOUT_MS + 1 s).
    await queryDatabase(
      t,
      'UPDATE companion_jobs SET leaseUntil = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE kind = ? AND doneAt IS NULL',
      ['check_in'],
    );
    let done: Array<{ doneAt: Date | null }> = [];
    while (done.length === 0) {
      done = await queryDatabase(
        t,
        'SELECT doneAt FROM companion_jobs WHERE kind = ? AND doneAt IS NOT NULL',
        ['check_in'],
      );
    }
    const checkIns = await queryDatabase<{ text: string }>(
      t,
      'SELECT text FROM messages WHERE conversationId = ? AND senderId = ? AND text = ?',
      [chat.conversationId, chat.bot.id, 'How are you doing today?'],
    );
    expect(checkIns).toHaveLength(1);
    expect(checkInsAsked).toBe(2);
  }, 90_000);
});
