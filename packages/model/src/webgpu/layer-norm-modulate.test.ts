import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { layerNormModulate, layerNormStatistics } from './layer-norm-modulate.js';
import { layerNormModulateBackward } from './layer-norm-modulate-backward.js';
import { ADALN_CHUNK } from './modulation.js';
import { sampleColumnSumsNormalized } from './sample-column-sums.js';
import { maxAbs, maxAbsDifference, useWebgpuBackend } from './test-backend.js';

const startBackend = tf.getBackend();
const skipReason = await useWebgpuBackend();
afterAll(async () => {
  await tf.setBackend(startBackend);
});

/** The generic path: LayerNorm(eps 1e-6, no affine) of each row, then x_hat (1 + scale) + shift per sample. */
function reference(x: tf.Tensor2D, modulation: tf.Tensor2D | undefined, tokens: number): tf.Tensor2D {
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const normalized = tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), 1e-6)));
    if (!modulation) return normalized as tf.Tensor2D;
    const [batch] = modulation.shape;
    const width = x.shape[1];
    const chunk = (k: number) => tf.reshape(tf.slice(modulation, [0, k * width], [batch, width]), [batch, 1, width]);
    const perSample = tf.reshape(normalized, [batch, tokens, width]);
    return tf.reshape(tf.add(tf.mul(perSample, tf.add(chunk(ADALN_CHUNK.scale2), 1)), chunk(ADALN_CHUNK.shift2)), [batch * tokens, width]) as tf.Tensor2D;
  });
}

const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDifference(a, b) / maxAbs(b);

// Widths whose vec4 count is not a multiple of the 64-thread row workgroup (17; 130, which
// needs 3 slots per thread), token counts across the 64-row chunks of the column sums.
const cases = [
  { batch: 2, tokens: 5, width: 68 },
  { batch: 2, tokens: 70, width: 520 },
];

describe.skipIf(skipReason)('LayerNorm + adaLN modulation on webgpu', () => {
  it.each(cases)('matches the generic path in values and gradients: B $batch, N $tokens, D $width', async ({ batch, tokens, width }) => {
    // Offset and scaled rows: the variance is computed from centred values.
    const x = tf.add(tf.mul(tf.randomNormal([batch * tokens, width], 0, 1, 'float32', width), 3), 5) as tf.Tensor2D;
    const modulation = tf.randomNormal([batch, 6 * width], 0, 0.5, 'float32', 2) as tf.Tensor2D;
    const dH = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 3) as tf.Tensor2D;
    const dResidual = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 4) as tf.Tensor2D;
    const adaLN = { modulation, tokens, shift: ADALN_CHUNK.shift2, scale: ADALN_CHUNK.scale2 };
    const before = tf.memory().numTensors;

    const stats = layerNormStatistics(x);
    const modulated = layerNormModulate(x, stats, adaLN);
    const plain = layerNormModulate(x, stats);
    const dx = layerNormModulateBackward(dH, x, stats, { adaLN, dResidual });
    const dxPlain = layerNormModulateBackward(dH, x, stats);
    const { sum: dShift, sumTimesNormalized: dScale } = sampleColumnSumsNormalized(dH, x, stats, tokens);
    expect(tf.memory().numTensors - before).toBe(7);

    const expected = reference(x, modulation, tokens);
    const expectedPlain = reference(x, undefined, tokens);
    const [expectedDx, expectedDModulation] = tf.grads((input: tf.Tensor, m: tf.Tensor) => tf.sum(tf.mul(reference(input as tf.Tensor2D, m as tf.Tensor2D, tokens), dH)))([x, modulation]);
    const expectedDxPlain = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(reference(input as tf.Tensor2D, undefined, tokens), dH)))(x);
    const chunk = (k: number) => tf.slice(expectedDModulation, [0, k * width], [batch, width]);

    const pairs = [[modulated, expected], [plain, expectedPlain], [dx, tf.add(expectedDx, dResidual)], [dxPlain, expectedDxPlain], [dShift, chunk(ADALN_CHUNK.shift2)], [dScale, chunk(ADALN_CHUNK.scale2)]];
    const errors = await Promise.all(pairs.map(async ([actual, wanted]) => relative(await actual.data(), await wanted.data())));
    // f32 sums in another order: a few ulps of the largest value (the gradients sum over a row or a sample).
    expect(errors[0]).toBeLessThan(2e-6);
    expect(errors[1]).toBeLessThan(2e-6);
    expect(errors[2]).toBeLessThan(5e-6);
    expect(errors[3]).toBeLessThan(5e-6);
    expect(errors[4]).toBeLessThan(2e-6);
    expect(errors[5]).toBeLessThan(2e-6);
    tf.dispose([x, modulation, dH, dResidual, stats, modulated, plain, dx, dxPlain, dShift, dScale, expected, expectedPlain, expectedDx, expectedDModulation, expectedDxPlain]);
  });

  it('names the operand at fault', () => {
    const x = tf.zeros([6, 8]) as tf.Tensor2D;
    const stats = layerNormStatistics(x);
    expect(() => layerNormModulate(x, stats, { modulation: tf.zeros([2, 40]) as tf.Tensor2D, tokens: 3, shift: 0, scale: 1 })).toThrow(/modulation must be \[B, 48\]/);
    expect(() => layerNormModulate(x, stats, { modulation: tf.zeros([3, 48]) as tf.Tensor2D, tokens: 3, shift: 0, scale: 1 })).toThrow(/B \* tokens/);
    expect(() => layerNormStatistics(tf.zeros([6, 6]) as tf.Tensor2D)).toThrow(/multiple of 4/);
    tf.dispose([x, stats]);
  });
});
