import { computed, ref, type Ref } from 'vue';

/** The zoom factors the viewer allows: 1 is the whole image fitted to the screen. */
export const ZOOM_MIN = 1;
export const ZOOM_MAX = 8;
/** Each zoom button or +/- key press multiplies or divides the zoom by this. */
export const ZOOM_STEP = 1.5;
/** CSS pixels a swipe must travel sideways to step to the next or previous image. */
export const SWIPE_MIN_PX = 60;
/** A double click zooms a fitted image to this, or back to fitted. */
export const ZOOM_DOUBLE_CLICK = 2.5;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Zoom and pan of one image drawn fitted inside `stage`: buttons and keys step the zoom, the wheel
 * zooms smoothly, a double click toggles, two fingers pinch; dragging pans while zoomed in, never past
 * the image's edges, and a sideways swipe of a fitted image calls `onSwipe` (1: next, -1: previous).
 * `fitted` is the image's drawn size at zoom 1 (CSS pixels), which bounds the pan.
 */
export function useZoomPan(
  fitted: Ref<{ width: number; height: number }>,
  stage: Ref<HTMLElement | null>,
  { onSwipe }: { onSwipe?: (direction: -1 | 1) => void } = {},
) {
  const scale = ref(ZOOM_MIN);
  const x = ref(0);
  const y = ref(0);
  const dragging = ref(false);

  /** Keeps the image covering the stage where it can: it may not be dragged away from an edge. */
  function clampPan(): void {
    const box = stage.value?.getBoundingClientRect();
    const stageWidth = box?.width ?? fitted.value.width;
    const stageHeight = box?.height ?? fitted.value.height;
    const limitX = Math.max(0, (fitted.value.width * scale.value - stageWidth) / 2);
    const limitY = Math.max(0, (fitted.value.height * scale.value - stageHeight) / 2);
    x.value = clamp(x.value, -limitX, limitX);
    y.value = clamp(y.value, -limitY, limitY);
  }

  function zoomTo(next: number): void {
    const previous = scale.value;
    scale.value = clamp(next, ZOOM_MIN, ZOOM_MAX);
    // Zooming about the centre keeps what is in the middle of the screen there.
    const ratio = scale.value / previous;
    x.value *= ratio;
    y.value *= ratio;
    clampPan();
  }

  function zoomIn(): void {
    zoomTo(scale.value * ZOOM_STEP);
  }

  function zoomOut(): void {
    const next = scale.value / ZOOM_STEP;
    zoomTo(next < 1.05 ? ZOOM_MIN : next);
  }

  function reset(): void {
    scale.value = ZOOM_MIN;
    x.value = 0;
    y.value = 0;
  }

  function onWheel(event: WheelEvent): void {
    event.preventDefault();
    // A notch of a mouse wheel (deltaY ±100) is about one step of 1.22; a trackpad's small deltas are smooth.
    zoomTo(scale.value * Math.exp(-event.deltaY * 0.002));
  }

  function onDoubleClick(): void {
    if (scale.value > ZOOM_MIN) reset();
    else zoomTo(ZOOM_DOUBLE_CLICK);
  }

  // Pointers down on the stage: one drags (pans when zoomed, else may swipe), two pinch.
  const pointers = new Map<number, { x: number; y: number }>();
  let gesture: { startX: number; startY: number; pinched: boolean } | null = null;
  let pinch: { distance: number; scale: number } | null = null;

  function spread(): number {
    const [a, b] = [...pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  }

  function onPointerDown(event: PointerEvent): void {
    // The viewer's own buttons over the stage keep their clicks (capturing would retarget them).
    if (event.button !== 0 || (event.target instanceof Element && event.target.closest('button, a'))) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    (event.currentTarget as Element | null)?.setPointerCapture?.(event.pointerId);
    if (pointers.size === 1) gesture = { startX: event.clientX, startY: event.clientY, pinched: false };
    if (pointers.size === 2 && gesture) {
      gesture.pinched = true;
      pinch = { distance: spread(), scale: scale.value };
    }
    dragging.value = scale.value > ZOOM_MIN;
  }

  function onPointerMove(event: PointerEvent): void {
    const previous = pointers.get(event.pointerId);
    if (!previous) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size === 2) {
      if (pinch.distance > 0) zoomTo((pinch.scale * spread()) / pinch.distance);
    } else if (pointers.size === 1 && scale.value > ZOOM_MIN) {
      x.value += event.clientX - previous.x;
      y.value += event.clientY - previous.y;
      clampPan();
    }
  }

  function onPointerUp(event: PointerEvent): void {
    if (!pointers.delete(event.pointerId)) return;
    if (pointers.size < 2) pinch = null;
    if (pointers.size > 0) return;
    dragging.value = false;
    const done = gesture;
    gesture = null;
    // A quick horizontal swipe over a fitted image steps to the neighbouring one, as photo apps do.
    if (!done || done.pinched || scale.value > ZOOM_MIN || event.type !== 'pointerup') return;
    const dx = event.clientX - done.startX;
    const dy = event.clientY - done.startY;
    if (Math.abs(dx) >= SWIPE_MIN_PX && Math.abs(dx) > 2 * Math.abs(dy)) onSwipe?.(dx < 0 ? 1 : -1);
  }

  const transform = computed(() => `translate(${x.value}px, ${y.value}px) scale(${scale.value})`);
  const zoomed = computed(() => scale.value > ZOOM_MIN);

  return {
    scale,
    zoomed,
    dragging,
    transform,
    zoomIn,
    zoomOut,
    reset,
    onWheel,
    onDoubleClick,
    onPointerDown,
    onPointerMove,
    onPointerUp,
  };
}
