import { describe, expect, it } from 'vitest';
import { CatchUpMarks } from '../helpers/catch-up-marks.js';

// The test client's catch-up rule, on its own: the fault tests rely on it not to hide a lost message.
describe('catch-up marks', () => {
  it('contiguous: a change ahead of a missing one does not move the mark until the gap is filled', () => {
    const marks = new CatchUpMarks('contiguous', [1]);
    marks.held(1, 1);
    marks.held(1, 3);
    expect(marks.snapshot().get(1)).toBe(1);
    expect(marks.hasGap).toBe(true);
    marks.held(1, 2);
    expect(marks.snapshot().get(1)).toBe(3);
    expect(marks.hasGap).toBe(false);
  });

  it('contiguous: a completed catch-up page moves the mark over what it covered and closes gaps below it', () => {
    const marks = new CatchUpMarks('contiguous', [1]);
    marks.held(1, 5);
    marks.held(1, 9);
    marks.complete(1, 7);
    expect(marks.snapshot().get(1)).toBe(7);
    expect(marks.hasGap).toBe(true);
    marks.held(1, 8);
    expect(marks.snapshot().get(1)).toBe(9);
    expect(marks.hasGap).toBe(false);
  });

  it('highest-held: the mark jumps to the highest change held, gap or not', () => {
    const marks = new CatchUpMarks('highest-held', [1, 2]);
    marks.held(1, 4);
    marks.held(1, 2);
    expect(marks.snapshot()).toEqual(
      new Map([
        [1, 4],
        [2, 0],
      ]),
    );
    expect(marks.hasGap).toBe(false);
  });
});
