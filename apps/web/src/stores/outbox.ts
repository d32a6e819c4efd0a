import type { Message } from '@parley/shared';
import { defineStore } from 'pinia';
import { emitSendMessage } from '@/socket';
import { useConversationsStore } from './conversations';
import { useMessagesStore, type OutgoingMessage } from './messages';
import { useSessionStore } from './session';

/**
 * Sending: the message shows at once as "sending", becomes the stored message when the server
 * acknowledges it, and "failed" (with a retry that reuses its clientMsgId) when it does not.
 */
export const useOutboxStore = defineStore('outbox', () => {
  const messages = useMessagesStore();
  const conversations = useConversationsStore();
  const session = useSessionStore();

  async function deliver(outgoing: OutgoingMessage): Promise<Message | null> {
    const { conversationId, clientMsgId, text } = outgoing;
    const ack = await emitSendMessage({ conversationId, clientMsgId, text });
    if (!ack.ok) {
      messages.setOutgoingState(conversationId, clientMsgId, 'failed');
      return null;
    }
    messages.insert(ack.data);
    conversations.applyMessage(ack.data, session.user?.id ?? null);
    return ack.data;
  }

  function send(conversationId: number, text: string): Promise<Message | null> {
    const sender = session.user;
    if (!sender) return Promise.resolve(null);
    return deliver(messages.addOutgoing(conversationId, text, sender));
  }

  function retry(conversationId: number, clientMsgId: string): Promise<Message | null> {
    const outgoing = messages.findOutgoing(conversationId, clientMsgId);
    if (!outgoing || outgoing.state !== 'failed') return Promise.resolve(null);
    messages.setOutgoingState(conversationId, clientMsgId, 'sending');
    return deliver(outgoing);
  }

  return { send, retry };
});
