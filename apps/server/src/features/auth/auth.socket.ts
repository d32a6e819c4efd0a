import type { FastifyPluginAsync } from 'fastify';
import type { SessionSockets } from './session-sockets.js';

/** Every connected socket is watched until its session ends (see session-sockets.ts). */
const authSocket: FastifyPluginAsync<{ sessionSockets: SessionSockets }> = async (
  fastify,
  { sessionSockets },
) => {
  fastify.io.on('connection', (socket) => sessionSockets.watch(socket));
};

export default authSocket;
