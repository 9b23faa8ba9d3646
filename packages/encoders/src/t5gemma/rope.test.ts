import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyRope, ropeInverseFrequencies, ropeTables } from './rope.js';

describe('rope', () => {
  it('computes theta^(-2i/d) / factor', () => {
    const inv = ropeInverseFrequencies(8, { theta: 10_000, linearFactor: 2 });
    const expected = [0, 1, 2, 3].map((i) => 10_000 ** (-(2 * i) / 8) / 2);
    [...inv].forEach((v, i) => expect(v).toBeCloseTo(expected[i], 7));
  });

  it('rotates each (i, i + d/2) pair by position * frequency (rotate-half convention)', async () => {
    const headDim = 4;
    const { cos, sin } = ropeTables(3, headDim, { theta: 100, linearFactor: 1 });
    // x [1, 3, 1, 4] with x_i = 1 for the first half, 0 for the second
    const x = tf.tensor4d([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0], [1, 3, 1, headDim]);
    const out = await applyRope(x, cos, sin).data();
    const inv = ropeInverseFrequencies(headDim, { theta: 100, linearFactor: 1 });
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < 2; i++) {
        // (1, 0) rotated by angle a is (cos a, sin a): first half gets cos, second half sin
        expect(out[p * 4 + i]).toBeCloseTo(Math.cos(p * inv[i]), 6);
        expect(out[p * 4 + 2 + i]).toBeCloseTo(Math.sin(p * inv[i]), 6);
      }
    }
    tf.dispose([x, cos, sin]);
  });
});
