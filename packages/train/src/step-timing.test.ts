import * as tf from '@tensorflow/tfjs-core';
import { presets } from '@dit/model';
import { describe, expect, it } from 'vitest';
import { measureStepTime } from './step-timing.js';

const config = { ...presets.tiny, depth: 3 };
const shape = { config, batchSize: 2, height: 8, width: 8 };

describe('measureStepTime', () => {
  it('times the full step when the budget allows, leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const measured = await measureStepTime({ ...shape, budgetSeconds: 600 });
    expect(measured.method).toBe('full');
    expect(measured.backend).toBe(tf.getBackend());
    expect(measured.runs.map((r) => [r.depth, r.batch])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(measured.secondsPerStep).toBe(measured.runs[1].secondsPerStep);
    expect(measured.description).toMatch(/^measured: [\d.]+ s a step \(batch 2, 8x8 latents, 3 blocks, 1 timed after a warm-up\)$/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scales a one-block batch-1 proxy when the budget is spent, and says so', async () => {
    const measured = await measureStepTime({ ...shape, budgetSeconds: 0 });
    expect(measured.method).toBe('depth-scaled');
    expect(measured.runs.map((r) => [r.depth, r.batch])).toEqual([[1, 1]]);
    expect(measured.secondsPerStep).toBeCloseTo(measured.runs[0].secondsPerStep * 3 * 2, 10);
    expect(measured.proxyReason).toMatch(/over the 0 s budget/);
    expect(measured.runs[0].warmUpOnly).toBe(true);
    expect(measured.description).toMatch(/from a proxy: 1 of 3 blocks at batch 1 took [\d.]+ s a step \(the first step only, warm-up included: the budget allowed no more\), x 3 blocks, x 2 for batch 2/);
  });
});
