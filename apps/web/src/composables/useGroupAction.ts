import { ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { errorKeyFor } from '@/i18n/errors';

/**
 * Runs one administrative request at a time and keeps its outcome in words (the server's stable
 * code mapped through i18n), for the group settings panels.
 */
export function useGroupAction() {
  const { t } = useI18n();
  const busy = ref(false);
  const error = ref('');
  const done = ref('');

  async function run(work: () => Promise<unknown>, doneText = t('groupAdmin.done')): Promise<boolean> {
    busy.value = true;
    error.value = '';
    done.value = '';
    try {
      await work();
      done.value = doneText;
      return true;
    } catch (failure) {
      error.value = t(errorKeyFor(failure));
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, done, run };
}
