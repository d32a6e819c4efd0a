import type { ErrorCode } from '@parley/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'refused';

/** The live socket's health, for the connection banner and for resyncing after a drop. */
export const useConnectionStore = defineStore('connection', () => {
  const status = ref<ConnectionStatus>('idle');
  const everConnected = ref(false);
  const refusedCode = ref<ErrorCode | null>(null);
  /** What the browser says about the network (navigator.onLine and its events). */
  const online = ref(true);
  /** Until when the server asked us to send nothing optional (`rate:limited`). */
  let rateLimitedUntil = 0;

  const isDegraded = computed(
    () =>
      !online.value ||
      status.value === 'reconnecting' ||
      status.value === 'refused' ||
      (status.value === 'connecting' && everConnected.value),
  );

  /**
   * Whether a request can reach the server now: the browser is online and the socket connected.
   * Edits, deletions and reactions need that; sends do not (the outbox keeps them until then).
   */
  const live = computed(() => online.value && status.value === 'connected');

  function setConnecting(): void {
    status.value = everConnected.value ? 'reconnecting' : 'connecting';
  }

  function setConnected(): void {
    status.value = 'connected';
    everConnected.value = true;
    refusedCode.value = null;
  }

  function setReconnecting(): void {
    status.value = 'reconnecting';
  }

  function setRefused(code: ErrorCode | null): void {
    status.value = 'refused';
    refusedCode.value = code;
  }

  function setOnline(value: boolean): void {
    online.value = value;
  }

  function setRateLimited(retryAfterMs: number, now = Date.now()): void {
    rateLimitedUntil = Math.max(rateLimitedUntil, now + retryAfterMs);
  }

  function isRateLimited(now = Date.now()): boolean {
    return now < rateLimitedUntil;
  }

  function reset(): void {
    status.value = 'idle';
    everConnected.value = false;
    refusedCode.value = null;
  }

  return {
    status,
    everConnected,
    refusedCode,
    online,
    isDegraded,
    live,
    setConnecting,
    setConnected,
    setReconnecting,
    setRefused,
    setOnline,
    setRateLimited,
    isRateLimited,
    reset,
  };
});
