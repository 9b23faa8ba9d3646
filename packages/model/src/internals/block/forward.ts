import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../../rope.js';
import { linearForward as linear } from '../linear-op.js';
import { splitModulation } from './adaln.js';
import { blockKernels } from './kernels.js';
import type { BlockActivations, BlockShape, BlockWeights } from './types.js';

/**
 * The fast block's forward pass (SPEC section 2 step 4), step for step the reference block
 * (src/reference-block.ts) on token rows [T, D], T = B * N, weights [in, out]. Each tidy frees
 * a step's temporaries as soon as its result exists. With `keep` it also returns what the
 * backward pass needs (backward.ts); without, it frees everything but the output (inference).
 */
export function blockForward(
  x: tf.Tensor2D, siluC: tf.Tensor2D, weights: BlockWeights, rope: RopeTables, shape: BlockShape, keep: boolean,
): { output: tf.Tensor2D; activations?: BlockActivations } {
  const kernels = blockKernels();
  const attentionLayout = { batch: shape.batch, heads: shape.numHeads, scale: 1 / Math.sqrt(shape.hiddenSize / shape.numHeads) };

  // shift1, scale1, gate1, shift2, scale2, gate2 = Linear(hidden, 6 hidden)(SiLU(c)).
  const modulation = linear(siluC, weights.adaW, weights.adaB);
  const mod = splitModulation(modulation, shape);

  // h = LayerNorm(x) (1 + scale1) + shift1; attention over q, k, v = Linear(hidden, 3 hidden)(h);
  // x1 = x + gate1 Linear(hidden, hidden)(attention).
  const { normalized: normalized1, rstd: rstd1 } = kernels.layerNorm(x);
  const { attended, saved: attention } = tf.tidy(() => {
    const qkv = linear(kernels.modulate(normalized1, mod.scalePlus1, mod.shift1, shape), weights.qkvW, weights.qkvB);
    return kernels.attention(qkv, rope, attentionLayout);
  });
  const projected = linear(attended, weights.projW, weights.projB);
  const x1 = kernels.gatedResidual(x, mod.gate1, projected, shape);

  // h = LayerNorm(x1) (1 + scale2) + shift2; out = x1 + gate2 MLP(h), MLP = Linear -> GELU(tanh) -> Linear.
  const { normalized: normalized2, rstd: rstd2 } = kernels.layerNorm(x1);
  const mlpHidden = tf.tidy(() => linear(kernels.modulate(normalized2, mod.scalePlus2, mod.shift2, shape), weights.mlpInW, weights.mlpInB));
  const mlpOutput = tf.tidy(() => linear(kernels.gelu(mlpHidden), weights.mlpOutW, weights.mlpOutB));
  const output = kernels.gatedResidual(x1, mod.gate2, mlpOutput, shape);

  tf.dispose([x1, ...Object.values(mod)]);
  const activations: BlockActivations = { modulation, normalized1, rstd1, attention, attended, projected, normalized2, rstd2, mlpHidden, mlpOutput };
  if (keep) return { output, activations };
  tf.dispose(Object.values(activations).flat());
  return { output };
}
