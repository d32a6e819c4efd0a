import { ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { errorKeyFor } from '@/i18n/errors';

/**
 * The outcome of a screen's latest request (the console's sections, cursor-paged lists):
 * `run(action)` clears `error` and `saved`, awaits the action, and turns a failure into `error`, in
 * the reader's language (the server's stable code mapped through i18n), instead of rejecting. An
 * action that saved settings the reader should see confirmed sets `saved` itself.
 */
export function useRequestOutcome() {
  const { t } = useI18n();
  const error = ref<string | null>(null);
  const saved = ref(false);

  async function run(action: () => Promise<void>): Promise<void> {
    error.value = null;
    saved.value = false;
    try {
      await action();
    } catch (caught) {
      error.value = t(errorKeyFor(caught));
    }
  }

  return { error, saved, run };
}
