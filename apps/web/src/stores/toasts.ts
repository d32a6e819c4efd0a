import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MessageSchema } from '@/i18n/en';

type ToastKey = `toast.${keyof MessageSchema['toast']}` | `errors.${keyof MessageSchema['errors']}`;

export interface Toast {
  id: number;
  key: ToastKey;
}

/** Short notices ("You're sending too fast"); the same notice is not stacked twice. */
export const useToastsStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([]);
  let nextId = 1;

  function show(key: ToastKey): void {
    if (toasts.value.some((toast) => toast.key === key)) return;
    toasts.value.push({ id: nextId++, key });
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((toast) => toast.id !== id);
  }

  return { toasts, show, dismiss };
});
