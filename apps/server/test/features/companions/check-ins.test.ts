import type { Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companionChat, companionMessage, elapseSilence } from '../../helpers/companions.js';
import {
  startScriptedModel,
  type RecordedRequest,
  type ScriptedModel,
} from '../../helpers/scripted-model.js';
import {
  queryDatabase,
  sendText,
  startSecondProcess,
  startTestServer,
  type TestServer,
} from '../../helpers/server.js';

const isCheckIn = (request: RecordedRequest) =>
  request.messages.at(-1)?.role === 'system' && request.messages.at(-1)!.content.includes('check-in');
const isSummary = (request: RecordedRequest) => request.messages[0]!.content.includes('private notes');

const finished = (message: Message) => message.generation === null;

async function jobs(t: TestServer, conversationId: number) {
  return queryDatabase<{ kind: string; doneAt: Date | null; dueAt: Date }>(
    t,
    'SELECT kind, doneAt, dueAt FROM companion_jobs WHERE conversationId = ? ORDER BY id',
    [conversationId],
  );
}

describe('companion check-ins and memory', () => {
  let model: ScriptedModel;
  let t: TestServer;

  beforeAll(async () => {
    model = await startScriptedModel((request) => {
      if (isCheckIn(request)) return { kind: 'reply', text: 'Just checking in: how did the interview go?' };
      if (isSummary(request)) return { kind: 'reply', text: 'NOTES: they have an interview on Friday.' };
      return { kind: 'reply', text: 'Good luck!' };
    });
    t = await startTestServer({
      redis: true,
      env: {
        LLM_BASE_URL: model.baseUrl,
        LLM_MODEL: 'scripted',
        COMPANION_JOB_POLL_MS: '50',
        AUTH_RATE_LIMIT_PER_IP: '10000',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await model.close();
  });

  async function exchange(settings = {}) {
    const chat = await companionChat(t, { checkInMinutes: 1, checkInSkipWhileActive: false, ...settings });
    const reply = companionMessage(chat.socket, chat.bot.id, finished);
    await sendText(chat.socket, chat.conversationId, 'I have an interview on Friday');
    await reply;
    return chat;
  }

  it('sends one check-in after the silence, written for the conversation so far, on one of two processes', async () => {
    const second = await startSecondProcess(t);
    try {
      const chat = await exchange();
      const checkIn = companionMessage(chat.socket, chat.bot.id, finished);
      await elapseSilence(t, chat.conversationId);
      expect((await checkIn).text).toBe('Just checking in: how did the interview go?');
      const asked = model.requests.filter(
        (r) => isCheckIn(r) && r.messages.some((m) => m.content === 'I have an interview on Friday'),
      );
      expect(asked).toHaveLength(1);
      // The silence goes on, and its job is done: nothing more is scheduled for it.
      let rows = await jobs(t, chat.conversationId);
      while (rows.some((row) => row.kind === 'check_in' && row.doneAt === null)) {
        rows = await jobs(t, chat.conversationId);
      }
      expect(rows.filter((row) => row.kind === 'check_in')).toHaveLength(1);
      const stored = await queryDatabase<{ n: bigint }>(
        t,
        'SELECT COUNT(*) AS n FROM messages WHERE conversationId = ? AND senderId = ?',
        [chat.conversationId, chat.bot.id],
      );
      expect(Number(stored[0]!.n)).toBe(2);
      const counts = await queryDatabase<{ metric: string; count: number }>(
        t,
        'SELECT metric, count FROM bot_daily_counts WHERE botId = ? ORDER BY metric',
        [chat.bot.id],
      );
      expect(counts.map((row) => [row.metric, Number(row.count)])).toEqual([
        ['check_ins_sent', 1],
        ['messages_received', 1],
        // The reply and the check-in.
        ['replies_sent', 2],
      ]);
    } finally {
      await second.close();
    }
  });

  it('sends nothing to a person who turned check-ins off', async () => {
    const chat = await exchange();
    const off = await t.http('PUT', `/api/companions/${chat.bot.id}/check-ins`, {
      cookie: chat.person.cookie,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    const before = model.requests.filter(isCheckIn).length;
    await elapseSilence(t, chat.conversationId);
    let done = false;
    while (!done) {
      done = (await jobs(t, chat.conversationId)).some(
        (row) => row.kind === 'check_in' && row.doneAt !== null,
      );
    }
    expect(model.requests.filter(isCheckIn).length).toBe(before);
    const status = await t.http<{ companion: { checkInsEnabled: boolean } }>(
      'GET',
      `/api/conversations/${chat.conversationId}/companion`,
      { cookie: chat.person.cookie },
    );
    expect(status.body.companion.checkInsEnabled).toBe(false);
  });

  it('holds a check-in back during quiet hours in the person’s time zone', async () => {
    // Quiet from five minutes ago to two hours from now, in the person's zone.
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Shanghai',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    }).formatToParts(new Date());
    const shanghaiMinute = Number(parts[0]!.value) * 60 + Number(parts[2]!.value);
    const chat = await exchange({
      quietHours: { start: (shanghaiMinute + 1435) % 1440, end: (shanghaiMinute + 120) % 1440 },
    });
    const zone = await t.http('PUT', '/api/me/time-zone', {
      cookie: chat.person.cookie,
      body: { timeZone: 'Asia/Shanghai' },
    });
    expect(zone.status).toBe(204);
    const bad = await t.http<{ error: { code: string } }>('PUT', '/api/me/time-zone', {
      cookie: chat.person.cookie,
      body: { timeZone: 'Mars/Olympus' },
    });
    expect(bad.body.error.code).toBe('request/invalid');
    await elapseSilence(t, chat.conversationId);
    const past = Date.now();
    let row = (await jobs(t, chat.conversationId)).find((r) => r.kind === 'check_in')!;
    while (row.dueAt.getTime() <= past) {
      row = (await jobs(t, chat.conversationId)).find((r) => r.kind === 'check_in')!;
    }
    expect(row.doneAt).toBeNull();
    expect(row.dueAt.getTime()).toBeGreaterThan(Date.now() + 100 * 60_000);
  });

  it('keeps a memory summary when the person leaves, and uses it on the next visit', async () => {
    const chat = await exchange();
    chat.socket.close();
    let memory: Array<{ summary: string }> = [];
    while (memory.length === 0) {
      memory = await queryDatabase(t, 'SELECT summary FROM companion_memories WHERE conversationId = ?', [
        chat.conversationId,
      ]);
    }
    expect(memory[0]!.summary).toBe('NOTES: they have an interview on Friday.');

    const socket = await t.connectSocket(chat.person.cookie);
    const reply = companionMessage(socket, chat.bot.id, finished);
    await sendText(socket, chat.conversationId, 'I am back');
    await reply;
    const request = model.requests.filter((r) => !isCheckIn(r) && !isSummary(r)).at(-1)!;
    expect(request.messages[0]!.content).toContain('NOTES: they have an interview on Friday.');
  });
});
