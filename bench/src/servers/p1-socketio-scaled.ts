// P1 (bare Socket.IO, as p1-socketio.ts) with a cross-process adapter chosen by BENCH_ADAPTER:
// `redis` (@socket.io/redis-adapter, Redis pub/sub, what Parley uses) or `streams`
// (@socket.io/redis-streams-adapter, one Redis stream read with XREAD). Several of these on
// different ports with the same BENCH_ADAPTER_KEY act as one server; bench/src/scale.ts runs them.
import { createServer } from 'node:http';
import { createAdapter as createPubSubAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const adapter = process.env.BENCH_ADAPTER;
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const key = process.env.BENCH_ADAPTER_KEY ?? 'parley-bench:socket.io';

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });
const clients: Redis[] = [];
if (adapter === 'redis') {
  const [pub, sub] = [new Redis(redisUrl), new Redis(redisUrl)];
  clients.push(pub, sub);
  io.adapter(createPubSubAdapter(pub, sub, { key }));
} else if (adapter === 'streams') {
  const client = new Redis(redisUrl);
  clients.push(client);
  io.adapter(createStreamsAdapter(client, { streamName: key }));
} else {
  throw new Error(`BENCH_ADAPTER must be redis or streams, not ${adapter}`);
}

io.on('connection', (socket) => {
  const rooms = (socket.handshake.auth as { rooms?: number[] }).rooms ?? [];
  socket.join(rooms.map(String));
  socket.on('send', (message: { room: number; text: string }, ack?: (answer: { ok: true }) => void) => {
    socket.to(String(message.room)).emit('msg', message);
    ack?.({ ok: true });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = httpServer.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () =>
  io.close(() => {
    for (const client of clients) client.disconnect();
    process.exit(0);
  }),
);
