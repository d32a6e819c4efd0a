// P1, bare Socket.IO 4: rooms from the handshake's auth, `io.to(room).emit`-style broadcast, an ack;
// no authentication, no validation, no database.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  const rooms = (socket.handshake.auth as { rooms?: number[] }).rooms ?? [];
  socket.join(rooms.map(String));
  socket.on('send', (message: { room: number; text: string }, ack?: (answer: { ok: true }) => void) => {
    // socket.to excludes the sender, as Parley's broadcast does.
    socket.to(String(message.room)).emit('msg', message);
    ack?.({ ok: true });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = httpServer.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
