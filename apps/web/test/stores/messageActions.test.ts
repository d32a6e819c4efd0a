import type { ParleyClient } from '@parley/client';
import {
  ErrorCode,
  type Ack,
  type DeleteMessagePayload,
  type EditMessagePayload,
  type Message,
  type ReactPayload,
} from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useConnectionStore } from '@/stores/connection';
import { useMessageActionsStore, withReaction } from '@/stores/messageActions';
import { useMessagesStore } from '@/stores/messages';
import { useSessionStore } from '@/stores/session';
import { useToastsStore } from '@/stores/toasts';
import { alice, attachIdleClient, bob, historyServer } from '../fixtures';

// What the server answers; the client holds an accepted change as it does a real acknowledgement.
const react = vi.fn<(payload: ReactPayload) => Promise<Ack<Message>>>();
const editMessage = vi.fn<(payload: EditMessagePayload) => Promise<Ack<Message>>>();
const deleteMessage = vi.fn<(payload: DeleteMessagePayload) => Promise<Ack<Message>>>();

function clientAnsweringWithMocks(): ParleyClient {
  const client = attachIdleClient();
  const held =
    <P>(answer: (payload: P) => Promise<Ack<Message>>) =>
    async (payload: P) => {
      const ack = await answer(payload);
      if (ack.ok) client.hold([ack.data]);
      return ack;
    };
  client.react = held(react);
  client.edit = held(editMessage);
  client.delete = held(deleteMessage);
  return client;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('reactions', () => {
  it('adds me to an emoji’s reactors, or a new emoji after the others', () => {
    expect(withReaction([], '👍', 1, true)).toEqual([{ emoji: '👍', userIds: [1] }]);
    expect(withReaction([{ emoji: '👍', userIds: [2] }], '👍', 1, true)).toEqual([
      { emoji: '👍', userIds: [2, 1] },
    ]);
    expect(withReaction([{ emoji: '👍', userIds: [2] }], '🎉', 1, true)).toEqual([
      { emoji: '👍', userIds: [2] },
      { emoji: '🎉', userIds: [1] },
    ]);
    expect(withReaction([{ emoji: '👍', userIds: [1] }], '👍', 1, true)).toEqual([
      { emoji: '👍', userIds: [1] },
    ]);
  });

  it('removes me, and the emoji once nobody is left', () => {
    expect(withReaction([{ emoji: '👍', userIds: [2, 1] }], '👍', 1, false)).toEqual([
      { emoji: '👍', userIds: [2] },
    ]);
    expect(withReaction([{ emoji: '👍', userIds: [1] }], '👍', 1, false)).toEqual([]);
  });

  describe('toggling', () => {
    let server: ReturnType<typeof historyServer>;
    beforeEach(async () => {
      setActivePinia(createPinia());
      useSessionStore().user = alice;
      useConnectionStore().setConnected();
      react.mockReset();
      clientAnsweringWithMocks();
      server = historyServer(1);
      server.change({ ...server.message(1), reactions: [{ emoji: '❤️', userIds: [bob.id, alice.id] }] });
      await useMessagesStore().loadInitial(1);
    });
    afterEach(() => vi.unstubAllGlobals());

    const reactions = () => useMessagesStore().findBySeq(1, 1)?.reactions;
    const accepted = (payload: ReactPayload): Ack<Message> => ({
      ok: true,
      data: {
        ...server.message(1),
        changeSeq: 10,
        reactions: withReaction(reactions() ?? [], payload.emoji, alice.id, payload.on),
      },
    });

    it('sets a reaction I have not made (on: true), showing it at once', async () => {
      const ack = deferred<Ack<Message>>();
      react.mockReturnValueOnce(ack.promise);

      const toggling = useMessageActionsStore().toggleReaction(1, 1, '👍');

      expect(react).toHaveBeenCalledWith({ conversationId: 1, messageId: 1, emoji: '👍', on: true });
      expect(reactions()).toEqual([
        { emoji: '❤️', userIds: [bob.id, alice.id] },
        { emoji: '👍', userIds: [alice.id] },
      ]);
      ack.resolve(accepted(react.mock.calls[0]![0]));
      expect(await toggling).toBe(true);
      expect(useMessagesStore().findBySeq(1, 1)?.changeSeq).toBe(10);
    });

    it('clears a reaction I made (on: false)', async () => {
      react.mockImplementationOnce(async (payload) => accepted(payload));
      await useMessageActionsStore().toggleReaction(1, 1, '❤️');
      expect(react).toHaveBeenCalledWith({ conversationId: 1, messageId: 1, emoji: '❤️', on: false });
      expect(reactions()).toEqual([{ emoji: '❤️', userIds: [bob.id] }]);
    });

    it('puts the reactions back and says why when the server refuses', async () => {
      react.mockResolvedValueOnce({
        ok: false,
        error: { code: ErrorCode.MessageDeleted, message: 'deleted' },
      });
      expect(await useMessageActionsStore().toggleReaction(1, 1, '👍')).toBe(false);
      expect(reactions()).toEqual([{ emoji: '❤️', userIds: [bob.id, alice.id] }]);
      expect(useToastsStore().toasts.map((toast) => toast.key)).toEqual(['errors.messageDeleted']);
    });
  });
});

describe('while offline', () => {
  let server: ReturnType<typeof historyServer>;
  beforeEach(async () => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    react.mockReset();
    editMessage.mockReset();
    deleteMessage.mockReset();
    clientAnsweringWithMocks();
    server = historyServer(1);
    await useMessagesStore().loadInitial(1);
  });

  const toastKeys = () => useToastsStore().toasts.map((toast) => toast.key);

  it('editing, deleting and reacting are not tried, and the words say a connection is needed', async () => {
    const connection = useConnectionStore();
    connection.setConnected();
    connection.setOnline(false);
    const actions = useMessageActionsStore();

    expect(await actions.edit(1, 1, 'new words')).toBe(false);
    expect(await actions.remove(1, 1)).toBe(false);
    expect(await actions.toggleReaction(1, 1, '👍')).toBe(false);

    expect(editMessage).not.toHaveBeenCalled();
    expect(deleteMessage).not.toHaveBeenCalled();
    expect(react).not.toHaveBeenCalled();
    expect(useMessagesStore().findBySeq(1, 1)?.reactions).toEqual(server.message(1).reactions);
    expect(toastKeys()).toEqual(['toast.needsConnection']);
  });

  it('a socket that is reconnecting counts as offline too', async () => {
    useConnectionStore().setReconnecting();
    expect(await useMessageActionsStore().edit(1, 1, 'new words')).toBe(false);
    expect(editMessage).not.toHaveBeenCalled();
    expect(toastKeys()).toEqual(['toast.needsConnection']);
  });

  it('a connection lost while waiting for the answer is reported as offline, not as the service failing', async () => {
    const connection = useConnectionStore();
    connection.setConnected();
    editMessage.mockImplementationOnce(async () => {
      connection.setReconnecting();
      return {
        ok: false,
        error: { code: ErrorCode.Unavailable, message: 'disconnected before the acknowledgement' },
      };
    });
    expect(await useMessageActionsStore().edit(1, 1, 'new words')).toBe(false);
    expect(toastKeys()).toEqual(['toast.needsConnection']);
  });

  it('an unavailable service while connected still says so', async () => {
    useConnectionStore().setConnected();
    deleteMessage.mockResolvedValueOnce({
      ok: false,
      error: { code: ErrorCode.Unavailable, message: 'busy' },
    });
    expect(await useMessageActionsStore().remove(1, 1)).toBe(false);
    expect(toastKeys()).toEqual(['errors.unavailable']);
  });
});
