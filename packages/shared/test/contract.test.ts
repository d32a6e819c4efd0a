import { describe, expect, it } from 'vitest';
import {
  ClientEvent,
  clientEventContract,
  CONTENT_REFUSAL_CODES,
  ErrorCode,
  isContentRefusalCode,
  isRetryableErrorCode,
  ServerEvent,
  serverEventContract,
} from '../src/index.js';

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

describe('refusals of a message content', () => {
  it('are never also retryable as is, and every one is an error code', () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    for (const code of CONTENT_REFUSAL_CODES) {
      expect(codes.has(code)).toBe(true);
      expect(isRetryableErrorCode(code)).toBe(false);
      expect(isContentRefusalCode(code)).toBe(true);
    }
    expect(isContentRefusalCode(ErrorCode.Busy)).toBe(false);
    expect(isContentRefusalCode(ErrorCode.Muted)).toBe(false);
  });
});
