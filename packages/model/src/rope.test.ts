import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyRope, applyRopeBackward, rope2dAngles, ropeTables } from './rope.js';

const headDim = 16;

describe('2D RoPE (SPEC section 2)', () => {
  it('computes concat(row * inv_freq, col * inv_freq), inv_freq_j = 10000^(-4j/head_dim)', () => {
    const angles = rope2dAngles(3, 5, headDim); // [15, 8]
    const token = 2 * 5 + 3; // row 2, col 3
    const invFreq = [0, 1, 2, 3].map((j) => 10000 ** (-(4 * j) / headDim));
    expect(Array.from(angles.slice(token * 8, token * 8 + 8))).toEqual(
      [...invFreq.map((f) => Math.fround(2 * Math.fround(f))), ...invFreq.map((f) => Math.fround(3 * Math.fround(f)))],
    );
  });

  it('gives attention scores that depend only on the offset per axis', async () => {
    const [gridHeight, gridWidth] = [6, 5];
    const tokens = gridHeight * gridWidth;
    const tables = ropeTables({ textLength: 0, gridHeight, gridWidth, headDim });
    // The same query and key at every position: differences in scores come from RoPE alone.
    const q = tf.tile(tf.randomNormal([1, 1, 1, headDim], 0, 1, 'float32', 1), [1, tokens, 1, 1]) as tf.Tensor4D;
    const k = tf.tile(tf.randomNormal([1, 1, 1, headDim], 0, 1, 'float32', 2), [1, tokens, 1, 1]) as tf.Tensor4D;
    const scoresTensor = tf.matMul(tf.reshape(applyRope(q, tables), [tokens, headDim]), tf.reshape(applyRope(k, tables), [tokens, headDim]), false, true);
    const scores = (await scoresTensor.array()) as number[][];
    const byOffset = new Map<string, number[]>();
    for (let a = 0; a < tokens; a++) {
      for (let b = 0; b < tokens; b++) {
        const key = `${Math.floor(a / gridWidth) - Math.floor(b / gridWidth)},${(a % gridWidth) - (b % gridWidth)}`;
        byOffset.set(key, [...(byOffset.get(key) ?? []), scores[a][b]]);
      }
    }
    for (const values of byOffset.values()) {
      for (const value of values) expect(Math.abs(value - values[0])).toBeLessThan(1e-4);
    }
    // ...and the offset does matter: a row shift and a column shift give different scores.
    const [rowShift, colShift, none] = ['1,0', '0,1', '0,0'].map((key) => byOffset.get(key)![0]);
    expect(Math.abs(rowShift - none)).toBeGreaterThan(1e-3);
    expect(Math.abs(colShift - rowShift)).toBeGreaterThan(1e-3);
    tf.dispose([q, k, scoresTensor, tables.cos, tables.sin]);
  });

  it('leaves text tokens unrotated and rotates image tokens by split halves', async () => {
    const tables = ropeTables({ textLength: 3, gridHeight: 2, gridWidth: 2, headDim });
    const x = tf.randomNormal([2, 7, 2, headDim], 0, 1, 'float32', 3) as tf.Tensor4D;
    const rotated = applyRope(x, tables);
    const [xs, rs] = [(await x.array()) as number[][][][], (await rotated.array()) as number[][][][]];
    expect(rs[1].slice(0, 3)).toEqual(xs[1].slice(0, 3));
    // Image token 3 (row 1, col 1), frequency j = 1, first half: x1 cos - x2 sin.
    const angle = rope2dAngles(2, 2, headDim)[3 * 8 + 1];
    const [x1, x2] = [xs[0][3 + 3][1][1], xs[0][3 + 3][1][1 + 8]];
    expect(rs[0][6][1][1]).toBeCloseTo(x1 * Math.cos(angle) - x2 * Math.sin(angle), 5);
    expect(rs[0][6][1][9]).toBeCloseTo(x1 * Math.sin(angle) + x2 * Math.cos(angle), 5);
    tf.dispose([x, rotated, tables.cos, tables.sin]);
  });

  it('has a backward pass that is its transpose: <R x, y> = <x, R^T y>', async () => {
    const tables = ropeTables({ textLength: 2, gridHeight: 3, gridWidth: 4, headDim });
    const x = tf.randomNormal([2, 14, 3, headDim], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = tf.randomNormal([2, 14, 3, headDim], 0, 1, 'float32', 5) as tf.Tensor4D;
    const left = tf.sum(tf.mul(applyRope(x, tables), y));
    const right = tf.sum(tf.mul(x, applyRopeBackward(y, tables)));
    expect((await left.data())[0]).toBeCloseTo((await right.data())[0], 3);
    tf.dispose([x, y, left, right, tables.cos, tables.sin]);
  });
});
