import { describe, expect, it } from 'vitest';
import { BufferPoolGuard, type BufferPoolAccess } from './buffer-pool-guard.js';

/** A pool that grows by `perShape` bytes the first time each shape runs and can be emptied. */
function fakePool(perShape: number) {
  const seen = new Set<string>();
  let allocated = 0;
  let idle = 0;
  const access: BufferPoolAccess = {
    read: () => ({ allocatedBytes: allocated, usedBytes: allocated - idle, idleBytes: idle }),
    releaseIdle: () => {
      const freed = idle;
      allocated -= idle;
      idle = 0;
      seen.clear();
      return freed;
    },
  };
  const step = (shape: string) => {
    if (!seen.has(shape)) {
      seen.add(shape);
      allocated += perShape;
    }
    idle = allocated; // after the step every transient buffer is idle
  };
  return { access, step, allocated: () => allocated };
}

describe('BufferPoolGuard', () => {
  it('releases idle buffers when a new shape would push the pool past the budget', () => {
    const pool = fakePool(4e9);
    const guard = new BufferPoolGuard({ budgetBytes: 10e9, peakBytes: 4e9 }, pool.access);
    let peak = 0;
    for (const shape of ['64x64', '64x64', '80x48', '48x80', '64x64', '80x48']) {
      guard.beforeStep(shape);
      pool.step(shape);
      peak = Math.max(peak, pool.allocated());
    }
    expect(peak).toBeLessThanOrEqual(10e9);
    expect(guard.released.times).toBe(2);
    // Without the guard: three shapes' sets at once.
    const unguarded = fakePool(4e9);
    for (const shape of ['64x64', '80x48', '48x80']) unguarded.step(shape);
    expect(unguarded.allocated()).toBe(12e9);
  });

  it('does nothing on one shape, without a budget, or off WebGPU', () => {
    const pool = fakePool(4e9);
    const guard = new BufferPoolGuard({ budgetBytes: 5e9, peakBytes: 4e9 }, pool.access);
    for (let i = 0; i < 3; i++) expect(guard.beforeStep('64x64')).toBe(0);
    expect(new BufferPoolGuard({ budgetBytes: null, peakBytes: 4e9 }, pool.access).beforeStep('a')).toBe(0);
    const off = new BufferPoolGuard({ budgetBytes: 1, peakBytes: 4e9 }, { read: () => null, releaseIdle: () => 1 });
    off.beforeStep('a');
    expect(off.beforeStep('b')).toBe(0);
  });
});
