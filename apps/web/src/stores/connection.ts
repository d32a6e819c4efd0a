import type { ErrorCode } from '@parley/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'refused';

/** The live socket's health, for the connection banner and for resyncing after a drop. */
export const useConnectionStore = defineStore('connection', () => {
  const status = ref<ConnectionStatus>('idle');
  const everConnected = ref(false);
  const refusedCode = ref<ErrorCode | null>(null);

  const isDegraded = computed(
    () =>
      status.value === 'reconnecting' ||
      status.value === 'refused' ||
      (status.value === 'connecting' && everConnected.value),
  );

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

  function reset(): void {
    status.value = 'idle';
    everConnected.value = false;
    refusedCode.value = null;
  }

  return {
    status,
    everConnected,
    refusedCode,
    isDegraded,
    setConnecting,
    setConnected,
    setReconnecting,
    setRefused,
    reset,
  };
});
