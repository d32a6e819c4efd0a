// A Parley client in a process of its own with its outbox in a file, for the chaos test: killed with
// messages still unsent, then started again from the same file. Configured by the environment:
// PARLEY_URL, PARLEY_COOKIE, CONVERSATION_ID, OUTBOX_FILE; QUEUE messages to write before connecting
// (0 to only send what the file holds); KILL_AFTER_SENT > 0 makes the process SIGKILL itself the
// moment that many are acknowledged. It reports on stdout, one JSON object a line:
// {restored: [clientMsgId]}, {queued: clientMsgId}, {sent: clientMsgId}, {settled: [{clientMsgId, state}]}.
import { createParleyClient } from '@parley/client';
import { FileOutboxStorage } from '@parley/client/node';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const conversationId = Number(required('CONVERSATION_ID'));
const queue = Number(process.env.QUEUE ?? '0');
const killAfterSent = Number(process.env.KILL_AFTER_SENT ?? '0');
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const fast = { baseMs: 100, maxMs: 1_000, jitter: 0.5 };

const client = createParleyClient({
  url: required('PARLEY_URL'),
  auth: { kind: 'cookie', cookie: required('PARLEY_COOKIE') },
  storage: new FileOutboxStorage(required('OUTBOX_FILE')),
  conversations: [conversationId],
  discover: false,
  validate: true,
  reconnect: fast,
  retry: fast,
});

let sent = 0;
client.on('outbox', (entry) => {
  if (entry.state !== 'sent') return;
  say({ sent: entry.clientMsgId });
  sent += 1;
  // Acknowledged, and its removal from the file perhaps not written yet: the hardest moment to die.
  if (killAfterSent > 0 && sent >= killAfterSent) process.kill(process.pid, 'SIGKILL');
});

const restored = await client.outbox.restore();
say({ restored: restored.map((entry) => entry.clientMsgId) });
for (let index = 0; index < queue; index += 1) {
  const entry = client.send(conversationId, `from a process ${process.pid}: ${index}`);
  await client.outbox.whenSaved(entry.clientMsgId);
  say({ queued: entry.clientMsgId });
}
await client.connect();
await client.outbox.whenSettled(60_000);
say({ settled: client.outbox.list().map(({ clientMsgId, state }) => ({ clientMsgId, state })) });
client.stop();
process.exit(0);
