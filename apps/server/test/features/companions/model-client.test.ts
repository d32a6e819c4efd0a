import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModelClient,
  ModelFailure,
  type ModelClient,
} from '../../../src/features/companions/model-client.js';
import { gate, startScriptedModel, type ScriptedModel } from '../../helpers/scripted-model.js';

const request = {
  model: 'scripted',
  messages: [{ role: 'user' as const, content: 'hello' }],
  temperature: 0.5,
  maxTokens: 100,
};

async function failureOf(promise: Promise<unknown>): Promise<ModelFailure> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error, String(error)).toBeInstanceOf(ModelFailure);
  return error as ModelFailure;
}

describe('model client (the openai SDK against an OpenAI-compatible endpoint)', () => {
  let model: ScriptedModel;
  let client: ModelClient;

  beforeAll(async () => {
    model = await startScriptedModel();
    client = createModelClient(
      { baseUrl: model.baseUrl, apiKey: 'secret-key', model: 'scripted' },
      1_000,
      pino({ level: 'silent' }),
    );
  });
  afterAll(() => model.close());

  it('streams a reply piece by piece and sends the key, model and limits', async () => {
    const second = gate();
    model.script({ kind: 'reply', chunks: ['Hel', 'lo', second, ' there'] });
    const seen: string[] = [];
    const done = client.stream(request, (text) => {
      seen.push(text);
      if (text === 'Hello') second.open();
    });
    expect(await done).toBe('Hello there');
    expect(seen).toEqual(['Hel', 'Hello', 'Hello there']);
    const sent = model.requests.at(-1)!;
    expect(sent).toMatchObject({ model: 'scripted', stream: true, temperature: 0.5, max_tokens: 100 });
    expect(sent.authorization).toBe('Bearer secret-key');
  });

  it('answers a whole reply without streaming', async () => {
    model.script({ kind: 'reply', text: 'A summary.' });
    expect(await client.complete(request)).toBe('A summary.');
    expect(model.requests.at(-1)!.stream).toBe(false);
  });

  it('classifies an HTTP error as error', async () => {
    model.script({ kind: 'http-error', status: 500 });
    expect((await failureOf(client.stream(request, () => {}))).kind).toBe('error');
  });

  it('classifies a model that sends nothing in time as slow', async () => {
    model.script({ kind: 'hang' });
    expect((await failureOf(client.stream(request, () => {}))).kind).toBe('slow');
  });

  it('classifies a stream that stalls after its first piece as slow', async () => {
    model.script({ kind: 'reply', chunks: ['Hi', { wait: new Promise(() => {}) }] });
    expect((await failureOf(client.stream(request, () => {}))).kind).toBe('slow');
  });

  it('classifies a dropped connection mid-stream as down', async () => {
    model.script({ kind: 'drop', chunks: ['Half a'] });
    expect((await failureOf(client.stream(request, () => {}))).kind).toBe('down');
  });

  it('classifies unparseable chunks as garbage', async () => {
    model.script({ kind: 'garbage', chunks: ['Half a'] });
    expect((await failureOf(client.stream(request, () => {}))).kind).toBe('garbage');
  });

  it('classifies an empty reply as garbage', async () => {
    model.script({ kind: 'reply', chunks: [] });
    expect((await failureOf(client.stream(request, () => {}))).kind).toBe('garbage');
  });

  it('classifies an endpoint nobody listens on as down', async () => {
    const closed = await startScriptedModel();
    await closed.close();
    const unreachable = createModelClient(
      { baseUrl: closed.baseUrl, apiKey: 'k', model: 'scripted' },
      1_000,
      pino({ level: 'silent' }),
    );
    expect((await failureOf(unreachable.stream(request, () => {}))).kind).toBe('down');
  });
});
