import { fileURLToPath } from 'node:url';
import { io as socketIoClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type BenchConnection } from '../src/clients.js';
import { decodeFrame, encodeAck, encodeConnect, encodeEvent } from '../src/framing.js';
import { ServerProcess } from '../src/server-process.js';

describe('Engine.IO / Socket.IO framing', () => {
  it('encodes events, acks and connects as Socket.IO v5 text packets', () => {
    expect(encodeConnect()).toBe('40');
    expect(encodeConnect({ rooms: [1] })).toBe('40{"rooms":[1]}');
    expect(encodeEvent('send', [{ room: 1 }], 12)).toBe('4212["send",{"room":1}]');
    expect(encodeEvent('send', [])).toBe('42["send"]');
    expect(encodeAck(7, [{ ok: true }])).toBe('437[{"ok":true}]');
  });

  it('decodes open, ping, connect, events with and without ack ids, and acks', () => {
    expect(decodeFrame('0{"sid":"a","pingInterval":25000,"pingTimeout":20000}')).toEqual({
      kind: 'open',
      data: { sid: 'a', pingInterval: 25000, pingTimeout: 20000 },
    });
    expect(decodeFrame('2')).toEqual({ kind: 'ping' });
    expect(decodeFrame('40{"sid":"b"}')).toEqual({ kind: 'connect', data: { sid: 'b' } });
    expect(decodeFrame('44{"message":"no","data":{"code":"auth/unauthenticated"}}')).toEqual({
      kind: 'connect_error',
      data: { message: 'no', data: { code: 'auth/unauthenticated' } },
    });
    expect(decodeFrame('42["msg",{"text":"12 3"}]')).toEqual({
      kind: 'event',
      name: 'msg',
      args: [{ text: '12 3' }],
      ackId: null,
    });
    expect(decodeFrame('4233["msg",1]')).toEqual({ kind: 'event', name: 'msg', args: [1], ackId: 33 });
    expect(decodeFrame('4305[{"ok":true}]')).toEqual({ kind: 'ack', ackId: 5, args: [{ ok: true }] });
  });
});

describe('the raw client against socket.io-client on a live Socket.IO server (P1)', () => {
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    const started = await ServerProcess.start({
      label: 'p1',
      nodeArgs: ['--import', 'tsx'],
      entry: fileURLToPath(new URL('../src/servers/p1-socketio.ts', import.meta.url)),
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0' },
      cpus: null,
    });
    server = started.server;
    url = `http://127.0.0.1:${started.port}`;
  });
  afterAll(() => server?.stop());

  it('receives the same messages, in the same order, as socket.io-client, and is acked the same way', async () => {
    const referenceTexts: string[] = [];
    const rawTexts: string[] = [];
    const reference: Socket = socketIoClient(url, {
      transports: ['websocket'],
      auth: { rooms: [1] },
      forceNew: true,
    });
    reference.on('msg', (message: { text: string }) => referenceTexts.push(message.text));
    await new Promise<void>((resolve, reject) => {
      reference.once('connect', () => resolve());
      reference.once('connect_error', reject);
    });
    const options = { url, onUnexpectedClose: () => undefined };
    const raw = await connect('p1', { ...options, rooms: [1], onMessage: (text) => rawTexts.push(text) });
    const rawSender: BenchConnection = await connect('p1', {
      ...options,
      rooms: [1],
      onMessage: () => undefined,
    });

    const rawAcks = await Promise.all(
      ['one', 'two', 'three'].map((text) => new Promise((resolve) => rawSender.send(1, text, resolve))),
    );
    const referenceAck: unknown = await reference.emitWithAck('send', { room: 1, text: 'four' });
    // A barrier: once the raw client has 'four', everything sent before it has arrived at both.
    await expect.poll(() => rawTexts.at(-1), { timeout: 10_000 }).toBe('four');
    await expect.poll(() => referenceTexts.length, { timeout: 10_000 }).toBe(3);

    expect(rawAcks).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(referenceAck).toEqual({ ok: true });
    expect(rawTexts).toEqual(['one', 'two', 'three', 'four']);
    // socket.io-client sent 'four' itself, and Socket.IO does not echo to the sender.
    expect(referenceTexts).toEqual(['one', 'two', 'three']);
    reference.close();
    raw.close();
    rawSender.close();
  });
});
