import * as tf from '@tensorflow/tfjs-core';
import { runWebgpuKernel, type WebgpuKernel } from './program.js';
import { elementwiseProgram, vectorCount } from './row-programs.js';

/**
 * out = residual + rows * scale + offset for token rows [B * N, D], with scale and offset
 * per-sample vectors ([B, D] or [B, 1, D]: row b * N + n takes sample b's), residual and
 * offset optional: the element-wise steps of adaLN-Zero (SPEC section 2, step 4) in one pass each:
 *   modulate        h = x_hat * (1 + scale) + shift
 *   gated residual  x + gate * branch
 *   their backward  dBranch = dOut * gate, dNormalized = dH * (1 + scale).
 * tfjs' generic path broadcasts through [B, N, D] views with a multiply and an add, two passes
 * and a [T, D] temporary.
 */

type AffineAttrs = { tokens: number; withOffset: boolean; withResidual: boolean };

const affineKernel: WebgpuKernel<AffineAttrs> = {
  name: 'DitPerSampleAffine',
  run(backend, inputs, { tokens, withOffset, withResidual }) {
    // [rows, scale, offset?, residual?]
    const [rows] = inputs;
    const rowVectors = rows.shape[1] / 4;
    const names = ['rows', 'scale', ...(withOffset ? ['offset'] : []), ...(withResidual ? ['residual'] : [])];
    let value = 'rows[index] * scale[vectorAt]';
    if (withOffset) value += ' + offset[vectorAt]';
    if (withResidual) value = `residual[index] + ${value}`;
    const program = elementwiseProgram({
      key: `ditPerSampleAffine_${rowVectors}_${withOffset}_${withResidual}`,
      inputs: names,
      components: names.map(() => 4),
      outputShape: rows.shape,
      uniforms: 'tokens : i32,',
      declarations: `const ROW_VECTORS = ${rowVectors};`,
      body: /* wgsl */ `
        let vectorAt = (index / ROW_VECTORS / uniforms.tokens) * ROW_VECTORS + index % ROW_VECTORS;
        let value = ${value};
      `,
    });
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [vectorCount(rows.shape)] },
      { type: 'int32', data: [tokens] },
    ]);
  },
};

export interface PerSampleAffine {
  /** Per-sample multiplier, [B, D] or [B, 1, D]. */
  scale: tf.Tensor;
  /** Per-sample addend, like `scale`. */
  offset?: tf.Tensor;
  /** Added as is, [B * N, D] like the rows. */
  residual?: tf.Tensor2D;
}

/** residual + rows * scale + offset, rows [B * N, D] with N = `tokens`. */
export function perSampleAffine(rows: tf.Tensor2D, tokens: number, { scale, offset, residual }: PerSampleAffine): tf.Tensor2D {
  const [total, width] = rows.shape;
  if (rows.rank !== 2 || width % 4 !== 0) throw new Error(`perSampleAffine: rows must be [T, D] with D a multiple of 4, found [${rows.shape.join(', ')}]`);
  const batch = total / tokens;
  if (!Number.isInteger(batch)) throw new Error(`perSampleAffine: ${total} rows are not whole samples of ${tokens} tokens`);
  for (const [name, vector] of [['scale', scale], ['offset', offset]] as const) {
    if (vector && (vector.size !== batch * width || vector.shape[0] !== batch)) {
      throw new Error(`perSampleAffine: ${name} must be [${batch}, ${width}] (one vector per sample), found [${vector.shape.join(', ')}]`);
    }
  }
  if (residual && (residual.shape[0] !== total || residual.shape[1] !== width)) {
    throw new Error(`perSampleAffine: residual must be [${total}, ${width}] like the rows, found [${residual.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const asVector = (v: tf.Tensor) => tf.reshape(v, [batch, width]);
    const inputs = [rows, asVector(scale), ...(offset ? [asVector(offset)] : []), ...(residual ? [residual] : [])];
    return runWebgpuKernel(affineKernel, inputs, { tokens, withOffset: offset !== undefined, withResidual: residual !== undefined })[0] as tf.Tensor2D;
  });
}
