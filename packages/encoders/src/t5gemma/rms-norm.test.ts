import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { rmsNorm } from './rms-norm.js';
import { normScale } from './weights.js';

describe('rmsNorm', () => {
  it('computes x * rsqrt(mean(x^2) + eps) * (1 + w) over the last axis', async () => {
    const x = tf.tensor2d([3, -4, 0, 1, 1, 1], [2, 3]);
    const scale = normScale(new Float32Array([0, 1, -0.5]));
    const out = await rmsNorm(x, scale, 1e-6).data();
    const r0 = 1 / Math.sqrt(25 / 3 + 1e-6);
    const r1 = 1 / Math.sqrt(1 + 1e-6);
    const expected = [3 * r0, -4 * r0 * 2, 0, r1, r1 * 2, r1 * 0.5];
    [...out].forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    tf.dispose([x, scale]);
  });
});
