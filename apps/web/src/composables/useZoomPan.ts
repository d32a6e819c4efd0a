import { computed, ref, type Ref } from 'vue';

/** The zoom factors the viewer allows: 1 is the whole image fitted to the screen. */
export const ZOOM_MIN = 1;
export const ZOOM_MAX = 8;
/** Each zoom button or +/- key press multiplies or divides the zoom by this. */
export const ZOOM_STEP = 1.5;
/** A double click zooms a fitted image to this, or back to fitted. */
export const ZOOM_DOUBLE_CLICK = 2.5;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Zoom and pan of one image drawn fitted inside `stage`: buttons and keys step the zoom, the wheel
 * zooms smoothly, a double click toggles; dragging pans while zoomed in, never past the image's edges.
 * `fitted` is the image's drawn size at zoom 1 (CSS pixels), which bounds the pan.
 */
export function useZoomPan(fitted: Ref<{ width: number; height: number }>, stage: Ref<HTMLElement | null>) {
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

  let last: { x: number; y: number; pointerId: number } | null = null;

  function onPointerDown(event: PointerEvent): void {
    if (scale.value <= ZOOM_MIN || event.button !== 0) return;
    last = { x: event.clientX, y: event.clientY, pointerId: event.pointerId };
    dragging.value = true;
    (event.currentTarget as Element | null)?.setPointerCapture?.(event.pointerId);
  }

  function onPointerMove(event: PointerEvent): void {
    if (!last || event.pointerId !== last.pointerId) return;
    x.value += event.clientX - last.x;
    y.value += event.clientY - last.y;
    last = { ...last, x: event.clientX, y: event.clientY };
    clampPan();
  }

  function onPointerUp(event: PointerEvent): void {
    if (!last || event.pointerId !== last.pointerId) return;
    last = null;
    dragging.value = false;
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
