// P0, the near-limit baseline: a raw `ws` server with rooms (a Map of room to set of sockets).
// Each message is serialised once and the same string is written to every other member.
import { WebSocketServer, type WebSocket } from 'ws';

const rooms = new Map<number, Set<WebSocket>>();
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  perMessageDeflate: false,
});

interface ClientFrame {
  t: 'join' | 'send';
  rooms?: number[];
  id?: number;
  room?: number;
  text?: string;
}

server.on('connection', (socket) => {
  const joined: number[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as ClientFrame;
    if (frame.t === 'join') {
      for (const room of frame.rooms ?? []) {
        let members = rooms.get(room);
        if (!members) rooms.set(room, (members = new Set()));
        members.add(socket);
        joined.push(room);
      }
      socket.send('{"t":"joined"}');
    } else if (frame.t === 'send') {
      const out = JSON.stringify({ t: 'msg', room: frame.room, text: frame.text });
      for (const member of rooms.get(frame.room!) ?? []) if (member !== socket) member.send(out);
      socket.send(`{"t":"ack","id":${frame.id}}`);
    }
  });
  socket.on('close', () => {
    for (const room of joined) rooms.get(room)?.delete(socket);
  });
});

server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
