import { describe, expect, it } from 'vitest';
import { ClientEvent, clientEventContract, ServerEvent, serverEventContract } from '../src/index.js';

describe('the socket contract', () => {
  it('names every client event once, with a payload and an ack schema', () => {
    expect(Object.values(ClientEvent).sort()).toEqual(Object.keys(clientEventContract).sort());
  });

  it('names every server event once, with a payload schema', () => {
    expect(Object.values(ServerEvent).sort()).toEqual(Object.keys(serverEventContract).sort());
  });

  it('acknowledges typing and presence with null, and nothing else', () => {
    expect(clientEventContract[ClientEvent.TypingStart].ack.safeParse(null).success).toBe(true);
    expect(clientEventContract[ClientEvent.TypingStart].ack.safeParse({}).success).toBe(false);
  });
});
