// The scripted model as its own process, for the end-to-end run (e2e/playwright.config.ts starts it):
// check-ins, memory notes and replies each get a fixed text, streamed a word at a time slowly enough
// for a person (and Playwright) to see a reply grow.
import { startScriptedModel, type RecordedRequest, type ScriptedReply } from './scripted-model.js';
import { E2E_CHECK_IN, E2E_FAIL_ONCE, E2E_REPLY } from './scripted-model-texts.js';

/** Messages that asked to fail once and have: the next request for them is answered. */
const failedOnce = new Set<string>();

function answer(request: RecordedRequest): ScriptedReply {
  const last = request.messages.at(-1);
  if (last?.role === 'user' && last.content.includes(E2E_FAIL_ONCE) && !failedOnce.has(last.content)) {
    failedOnce.add(last.content);
    return { kind: 'http-error', status: 500, message: 'scripted failure' };
  }
  if (last?.role === 'system' && last.content.includes('check-in'))
    return { kind: 'reply', text: E2E_CHECK_IN };
  if (request.messages[0]?.content.includes('private notes'))
    return { kind: 'reply', text: 'They like tea.' };
  return { kind: 'reply', text: E2E_REPLY, chunkDelayMs: 120 };
}

const port = Number(process.env.SCRIPTED_MODEL_PORT ?? 0);
const model = await startScriptedModel(answer, port);
process.stdout.write(`scripted model on ${model.baseUrl}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void model.close().then(() => process.exit(0)));
}
