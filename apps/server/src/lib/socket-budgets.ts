import { ClientEvent, ServerEvent, type ClientEventName } from '@parley/shared';
import type { Budget, Limiter } from '../plugins/rate-limits.js';
import { RateLimitedError } from '../plugins/rate-limits.js';
import type { SocketHandlerOptions } from './socket-handler.js';

/**
 * Light, frequent signals that a client sends on its own (typing, presence, receipts). They get a
 * budget of their own so that a chatty client can never use up the budget its sends depend on.
 */
const SIGNALS: ReadonlySet<ClientEventName> = new Set([
  ClientEvent.TypingStart,
  ClientEvent.TypingStop,
  ClientEvent.PresenceSet,
  // Sent as the person moves between groups: browsing must not use up the budget sends depend on.
  ClientEvent.PresenceWatch,
  ClientEvent.ConversationDelivered,
  ClientEvent.ConversationRead,
]);

/** The per-user budgets: one for sends and other actions (socket or HTTP), one for signals. */
export interface UserBudgets {
  messages: Limiter;
  signals: Limiter;
}

/** Both budgets, `perTenSeconds` points each per user; shared by every process through Redis when set. */
export function createUserBudgets(
  createLimiter: (name: string, budget: Budget) => Limiter,
  perTenSeconds: { messages: number; signals: number },
): UserBudgets {
  return {
    messages: createLimiter('socket-messages', { points: perTenSeconds.messages, durationSeconds: 10 }),
    signals: createLimiter('socket-signals', { points: perTenSeconds.signals, durationSeconds: 10 }),
  };
}

/**
 * Per-user budgets (all of a user's tabs together), so a flooding client is refused and told with
 * `rate:limited`, and nobody else shares its budget.
 */
export function socketBudgets({ messages, signals }: UserBudgets): SocketHandlerOptions['beforeEach'] {
  return async ({ socket, userId, event }) => {
    try {
      await (SIGNALS.has(event) ? signals : messages).consume(String(userId));
    } catch (error) {
      if (error instanceof RateLimitedError) {
        socket.emit(ServerEvent.RateLimited, { event, retryAfterMs: error.retryAfterSeconds * 1000 });
      }
      throw error;
    }
  };
}
