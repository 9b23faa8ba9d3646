import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../../rope.js';
import { linearBackward, linearInputGradient, linearWeightGradients } from '../linear-op.js';
import { splitModulation } from './adaln.js';
import { blockKernels } from './kernels.js';
import type { BlockActivations, BlockGradients, BlockShape, BlockWeights } from './types.js';

/** Frees gradients after their last use. */
const release = (...tensors: tf.Tensor[]) => tf.dispose(tensors);

/**
 * The backward pass of {@link blockForward}: SPEC section 2 step 4 differentiated line by line,
 * from the output back to the modulation. Autograd would keep a gradient for every
 * intermediate until the whole backward pass ends (~130 [T, D] per block); here each one is
 * released right after its last use (the `release` lines), which keeps a block's transient
 * peak at ~21 [T, D] (memory.ts).
 */
export function blockBackward(
  dOut: tf.Tensor2D, siluC: tf.Tensor2D, weights: BlockWeights, saved: BlockActivations, rope: RopeTables, shape: BlockShape,
): BlockGradients {
  const kernels = blockKernels();
  const attentionLayout = { batch: shape.batch, heads: shape.numHeads, scale: 1 / Math.sqrt(shape.hiddenSize / shape.numHeads) };
  const mod = splitModulation(saved.modulation, shape);

  // MLP branch: out = x1 + gate2 m, m = GELU(u) W2 + b2, u = h2 W1 + b1, h2 = LN(x1) (1 + scale2) + shift2.
  const { dBranch: dMlpOutput, dGate: dGate2 } = kernels.gatedResidualBackward(dOut, mod.gate2, saved.mlpOutput, shape);
  const [dMlpOutW, dMlpOutB] = tf.tidy(() => linearWeightGradients(dMlpOutput, kernels.gelu(saved.mlpHidden)));
  const dActivated = linearInputGradient(dMlpOutput, weights.mlpOutW);
  release(dMlpOutput);
  const dMlpHidden = kernels.geluBackward(dActivated, saved.mlpHidden);
  release(dActivated);
  const [dH2, dMlpInW, dMlpInB] = tf.tidy(() => linearBackward(dMlpHidden, kernels.modulate(saved.normalized2, mod.scalePlus2, mod.shift2, shape), weights.mlpInW));
  release(dMlpHidden);
  const { dNormalized: dNormalized2, dScale: dScale2, dShift: dShift2 } = kernels.modulateBackward(dH2, saved.normalized2, mod.scalePlus2, shape);
  release(dH2);
  const dX1 = tf.tidy(() => tf.add(dOut, kernels.layerNormBackward(dNormalized2, saved.normalized2, saved.rstd2)) as tf.Tensor2D);
  release(dNormalized2);

  // Attention branch: x1 = x + gate1 p, p = a Wp + bp, a = attention(h1 Wqkv + bqkv), h1 = LN(x) (1 + scale1) + shift1.
  const { dBranch: dProjected, dGate: dGate1 } = kernels.gatedResidualBackward(dX1, mod.gate1, saved.projected, shape);
  const [dAttended, dProjW, dProjB] = linearBackward(dProjected, saved.attended, weights.projW);
  release(dProjected);
  const dQkv = kernels.attentionBackward(dAttended, saved.attention, rope, attentionLayout);
  release(dAttended);
  const [dH1, dQkvW, dQkvB] = tf.tidy(() => linearBackward(dQkv, kernels.modulate(saved.normalized1, mod.scalePlus1, mod.shift1, shape), weights.qkvW));
  release(dQkv);
  const { dNormalized: dNormalized1, dScale: dScale1, dShift: dShift1 } = kernels.modulateBackward(dH1, saved.normalized1, mod.scalePlus1, shape);
  release(dH1);
  const dx = tf.tidy(() => tf.add(dX1, kernels.layerNormBackward(dNormalized1, saved.normalized1, saved.rstd1)) as tf.Tensor2D);
  release(dNormalized1, dX1, ...Object.values(mod));

  // Modulation: [shift1, scale1, gate1, shift2, scale2, gate2] = SiLU(c) Wa + ba.
  const [dSiluC, dAdaW, dAdaB] = tf.tidy(() => linearBackward(tf.concat([dShift1, dScale1, dGate1, dShift2, dScale2, dGate2], 1) as tf.Tensor2D, siluC, weights.adaW));
  release(dShift1, dScale1, dGate1, dShift2, dScale2, dGate2);
  return {
    dx,
    dSiluC,
    weights: { adaW: dAdaW, adaB: dAdaB, qkvW: dQkvW, qkvB: dQkvB, projW: dProjW, projB: dProjB, mlpInW: dMlpInW, mlpInB: dMlpInB, mlpOutW: dMlpOutW, mlpOutB: dMlpOutB },
  };
}
