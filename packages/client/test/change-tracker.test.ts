import { describe, expect, it } from 'vitest';
import { ChangeTracker } from '../src/change-tracker.js';

describe('change tracker', () => {
  it('advances through changes seen in order', () => {
    const tracker = new ChangeTracker();
    for (const change of [1, 2, 3]) tracker.see(change);
    expect(tracker.position).toBe(3);
  });

  it('waits at a missed change, and catches up when it arrives late', () => {
    const tracker = new ChangeTracker();
    tracker.advanceTo(10);
    tracker.see(12);
    tracker.see(13);
    expect(tracker.position).toBe(10);
    tracker.see(11);
    expect(tracker.position).toBe(13);
  });

  it('jumps to a position known complete (a sync page), keeping changes seen beyond it', () => {
    const tracker = new ChangeTracker();
    tracker.see(7);
    tracker.advanceTo(6);
    expect(tracker.position).toBe(7);
    tracker.advanceTo(3);
    expect(tracker.position).toBe(7);
  });
});
