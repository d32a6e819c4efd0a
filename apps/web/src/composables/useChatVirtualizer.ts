import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type PartialKeys,
  type VirtualizerOptions,
} from '@tanstack/vue-virtual';
import { onMounted, onScopeDispose, onUpdated, shallowRef, triggerRef, watch, type Ref } from 'vue';

export type ChatVirtualizerOptions = PartialKeys<
  VirtualizerOptions<HTMLElement, HTMLElement>,
  'observeElementRect' | 'observeElementOffset' | 'scrollToFn'
>;

/**
 * A TanStack virtualizer over an element, driven the way its React adapter drives it: new options are
 * applied before the component renders (so the rows rendered are the right ones), and the scroll
 * position is written (`_willUpdate`) only after the DOM has been patched.
 *
 * @tanstack/vue-virtual's `useVirtualizer` writes it in the same pre-render watcher as the options.
 * On a prepend with `anchorTo: 'end'` that write moves scrollTop down by the height of the rows added
 * above while the sizer still has its old height, so the browser clamps it and the reader is thrown
 * up to the older rows (seen scrolling up through 1,000 messages: message 969 to 945). TanStack
 * describes the same fault in its Marko adapter, TanStack/virtual#1267.
 *
 * Must be called from a component's setup: the write runs in its `onMounted` and `onUpdated`.
 */
export function useChatVirtualizer(
  options: Ref<ChatVirtualizerOptions>,
): Ref<Virtualizer<HTMLElement, HTMLElement>> {
  const resolve = (current: ChatVirtualizerOptions): VirtualizerOptions<HTMLElement, HTMLElement> => ({
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    ...current,
    onChange: (instance, sync) => {
      triggerRef(state);
      current.onChange?.(instance, sync);
    },
  });
  const virtualizer = new Virtualizer(resolve(options.value));
  const state = shallowRef(virtualizer);
  const cleanup = virtualizer._didMount();

  watch(options, (current) => {
    virtualizer.setOptions(resolve(current));
    triggerRef(state);
  });
  onMounted(() => virtualizer._willUpdate());
  onUpdated(() => virtualizer._willUpdate());
  onScopeDispose(cleanup);
  return state;
}
