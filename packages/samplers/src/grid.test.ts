import { shiftTime } from '@dit/flow';
import { describe, expect, it } from 'vitest';
import { timestepGrid } from './index.js';

describe('timestepGrid', () => {
  it('is t_i = i / N by default', () => {
    expect(timestepGrid({ steps: 4 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(timestepGrid()).toHaveLength(51);
  });

  it('shifts the uniform grid with t / (t + s (1 - t)), keeping the endpoints', () => {
    const grid = timestepGrid({ steps: 8, shift: 3 });
    expect(grid[0]).toBe(0);
    expect(grid[8]).toBe(1);
    grid.forEach((t, i) => expect(t).toBeCloseTo(shiftTime(i / 8, 3), 12));
    // shift 3 puts half the steps below t = 0.25: more steps near noise
    expect(grid.filter((t) => t < 0.25 + 1e-12)).toHaveLength(5);
  });

  it('takes a custom grid as given, which may start after 0', () => {
    expect(timestepGrid({ timesteps: [0.3, 0.5, 0.9], steps: 99 })).toEqual([0.3, 0.5, 0.9]);
  });

  it('names the fault in a bad grid', () => {
    expect(() => timestepGrid({ steps: 2.5 })).toThrow(/steps must be a positive integer, got 2.5/);
    expect(() => timestepGrid({ timesteps: [0] })).toThrow(/at least two times, got 1/);
    expect(() => timestepGrid({ timesteps: [0, 0.5, 0.5, 1] })).toThrow(/timesteps\[2\] = 0.5 follows 0.5/);
    expect(() => timestepGrid({ timesteps: [0, 1.5] })).toThrow(/timesteps\[1\] must lie in \[0, 1\], got 1.5/);
    expect(() => timestepGrid({ steps: 4, shift: 0 })).toThrow(/shift must be a positive number/);
  });
});
