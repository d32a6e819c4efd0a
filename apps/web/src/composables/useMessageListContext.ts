import type { Conversation } from '@parley/shared';
import { inject, provide, type InjectionKey, type Ref } from 'vue';
import type { TimelineMessage } from '@/stores/messages';

/** What a message row can ask of the list it is in; one list, many rows. */
export interface MessageListContext {
  conversation: Ref<Conversation>;
  /** The row being edited in place, if any. */
  editingKey: Ref<string | null>;
  reply(message: TimelineMessage): void;
  startEdit(message: TimelineMessage): void;
  stopEdit(): void;
  requestDelete(message: TimelineMessage): void;
  react(message: TimelineMessage, emoji: string): void;
  /** Scrolls to a message (loading the history around it if needed) and highlights it. */
  jumpTo(seq: number): void;
  retry(message: TimelineMessage): void;
  /** Opens the image viewer on this image message (focus returns to its thumbnail on close). */
  viewImage(message: TimelineMessage): void;
  discard(message: TimelineMessage): void;
}

const key: InjectionKey<MessageListContext> = Symbol('message-list');

export function provideMessageListContext(context: MessageListContext): void {
  provide(key, context);
}

export function useMessageListContext(): MessageListContext {
  const context = inject(key);
  if (!context) throw new Error('A message row must be inside a MessageList');
  return context;
}
