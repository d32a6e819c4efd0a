import { onBeforeUnmount, ref } from 'vue';

/** The current time, refreshed every `intervalMs`, for words like "5 minutes ago" that age. */
export function useNow(intervalMs = 30_000) {
  const now = ref(new Date());
  const timer = setInterval(() => (now.value = new Date()), intervalMs);
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
