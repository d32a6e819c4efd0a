export * from './errors.js';
export * from './events.js';
export * from './schemas/common.js';
export * from './schemas/users.js';
export * from './schemas/auth.js';
export * from './schemas/messages.js';
export * from './schemas/conversations.js';
export * from './schemas/presence.js';
