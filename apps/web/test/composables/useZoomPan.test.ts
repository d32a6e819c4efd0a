import { describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import { useZoomPan, ZOOM_MAX } from '@/composables/useZoomPan';

function pointer(type: string, pointerId: number, clientX: number, clientY: number): PointerEvent {
  return new PointerEvent(type, { pointerId, clientX, clientY, button: 0 });
}

/** An 800×600 image fitted into a stage of the same size (no stage element: its size is the image's). */
function setUp() {
  const onSwipe = vi.fn();
  const zoom = useZoomPan(ref({ width: 800, height: 600 }), ref(null), { onSwipe });
  return { zoom, onSwipe };
}

describe('zooming and panning an image', () => {
  it('steps the zoom between fitted and the maximum', () => {
    const { zoom } = setUp();
    zoom.zoomOut();
    expect(zoom.scale.value).toBe(1);
    for (let step = 0; step < 10; step += 1) zoom.zoomIn();
    expect(zoom.scale.value).toBe(ZOOM_MAX);
    zoom.reset();
    expect(zoom.transform.value).toBe('translate(0px, 0px) scale(1)');
  });

  it('pans a zoomed image by dragging, never past its edges', () => {
    const { zoom } = setUp();
    zoom.onDoubleClick();
    expect(zoom.scale.value).toBe(2.5);
    zoom.onPointerDown(pointer('pointerdown', 1, 400, 300));
    zoom.onPointerMove(pointer('pointermove', 1, 300, 250));
    expect(zoom.transform.value).toBe('translate(-100px, -50px) scale(2.5)');
    // At 2.5× the 800 px image is 2000 px wide: 600 px of it may go past each side of the stage.
    zoom.onPointerMove(pointer('pointermove', 1, -5000, -5000));
    zoom.onPointerUp(pointer('pointerup', 1, -5000, -5000));
    expect(zoom.transform.value).toBe('translate(-600px, -450px) scale(2.5)');
  });

  it('zooms with two fingers by how far they spread', () => {
    const { zoom, onSwipe } = setUp();
    zoom.onPointerDown(pointer('pointerdown', 1, 300, 300));
    zoom.onPointerDown(pointer('pointerdown', 2, 500, 300));
    zoom.onPointerMove(pointer('pointermove', 2, 700, 300));
    expect(zoom.scale.value).toBe(2);
    zoom.onPointerUp(pointer('pointerup', 2, 700, 300));
    zoom.onPointerUp(pointer('pointerup', 1, 300, 300));
    expect(onSwipe).not.toHaveBeenCalled();
  });

  it('steps to the next or previous image on a sideways swipe of a fitted image, not on a small or zoomed one', () => {
    const { zoom, onSwipe } = setUp();
    const swipe = (from: number, to: number, dy = 0) => {
      zoom.onPointerDown(pointer('pointerdown', 1, from, 300));
      zoom.onPointerMove(pointer('pointermove', 1, to, 300 + dy));
      zoom.onPointerUp(pointer('pointerup', 1, to, 300 + dy));
    };
    swipe(600, 400);
    swipe(200, 400);
    swipe(400, 380);
    swipe(400, 300, 120);
    expect(onSwipe.mock.calls).toEqual([[1], [-1]]);
    zoom.zoomIn();
    swipe(600, 400);
    expect(onSwipe).toHaveBeenCalledTimes(2);
  });
});
