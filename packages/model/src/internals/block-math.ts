import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../rope.js';
import { attentionBackward, attentionForward } from './attention-op.js';
import { headsToQkvGradient, headsToRows, qkvToHeads, rowsToHeads, type AttentionHeads } from './fused-kernels.js';
import { geluTanh, geluTanhBackward } from './gelu.js';
import { layerNormBackward, layerNormForward } from './layer-norm.js';
import { plainProductsOnly, matMul2d } from './products.js';

/**
 * The forward and backward passes of one adaLN-Zero block (SPEC section 2, step 4), by hand.
 *
 * Autograd would record ~80 nodes per block and keep a gradient for every intermediate
 * (reshape views included) until the whole backward pass ends - about 130 [T, D] tensors per
 * block. Written out, the forward keeps 13 [T, D] and the backward frees each temporary as soon
 * as it is used; every product is a 2-D matMul with explicitly transposed operands (the wasm
 * fast path), and the attention heads' layouts (split, RoPE, transposes, merge) are single-pass
 * kernels (fused-kernels.ts). Tokens are rows of [T, D], T = B * N; weights are [in, out].
 */

export interface BlockWeights {
  adaW: tf.Tensor2D; adaB: tf.Tensor1D;
  qkvW: tf.Tensor2D; qkvB: tf.Tensor1D;
  projW: tf.Tensor2D; projB: tf.Tensor1D;
  mlpInW: tf.Tensor2D; mlpInB: tf.Tensor1D;
  mlpOutW: tf.Tensor2D; mlpOutB: tf.Tensor1D;
}

export interface BlockShape {
  batch: number;
  /** Sequence length N. */
  tokens: number;
  hiddenSize: number;
  numHeads: number;
}

/** What the backward pass needs from the forward pass (13 [T, D] in all; u is [T, 4D]). */
export interface BlockActivations {
  /** [B, 6D]: shift1, scale1, gate1, shift2, scale2, gate2. */
  modulation: tf.Tensor2D;
  normalized1: tf.Tensor2D; rstd1: tf.Tensor2D;
  /** Per head (B*H of each): RoPE-rotated queries times the scale [N, d], rotated keys transposed [d, N], values [N, d]. */
  heads: AttentionHeads;
  /** Attention output before proj, and proj's output, [T, D]. */
  attended: tf.Tensor2D; projected: tf.Tensor2D;
  normalized2: tf.Tensor2D; rstd2: tf.Tensor2D;
  /** MLP pre-activation [T, 4D] and output [T, D]. */
  mlpHidden: tf.Tensor2D; mlpOutput: tf.Tensor2D;
}

/** X W + b as one fused op (one output tensor instead of a product and a sum). */
const linear = (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.fused.matMul({ a: x, b: weight, bias }) as tf.Tensor2D;

/** dY -> [dX, dW, db] for Y = X W + b, each product in its backend's fast form; X^T is freed before dX exists. */
function linearBackward(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  const dWeight = matMul2d(x, dy, true, false);
  const dBias = tf.sum(dy, 0) as tf.Tensor1D;
  const dx = matMul2d(dy, weight, false, true);
  return [dx, dWeight, dBias];
}

/** The six [B, 1, D] modulation vectors, with 1 + scale precomputed. */
function modulationParts(modulation: tf.Tensor2D, shape: BlockShape) {
  return tf.tidy(() => {
    const parts = tf.split(modulation, 6, 1).map((part) => tf.reshape(part, [shape.batch, 1, shape.hiddenSize]) as tf.Tensor3D);
    const [shift1, scale1, gate1, shift2, scale2, gate2] = parts;
    return { shift1, scalePlus1: tf.add(scale1, 1) as tf.Tensor3D, gate1, shift2, scalePlus2: tf.add(scale2, 1) as tf.Tensor3D, gate2 };
  });
}

const perSample = (x: tf.Tensor, shape: BlockShape) => tf.reshape(x, [shape.batch, shape.tokens, shape.hiddenSize]) as tf.Tensor3D;
const asRows = (x: tf.Tensor, shape: BlockShape) => tf.reshape(x, [shape.batch * shape.tokens, shape.hiddenSize]) as tf.Tensor2D;

/** x_hat * (1 + scale) + shift, per sample. */
function modulate(normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shift: tf.Tensor3D, shape: BlockShape): tf.Tensor2D {
  return tf.tidy(() => asRows(tf.add(tf.mul(perSample(normalized, shape), scalePlus1), shift), shape));
}

/** x + gate * y, per sample. */
function gatedAdd(x: tf.Tensor2D, gate: tf.Tensor3D, y: tf.Tensor2D, shape: BlockShape): tf.Tensor2D {
  return tf.tidy(() => asRows(tf.add(perSample(x, shape), tf.mul(gate, perSample(y, shape))), shape));
}

/** sum over the tokens of each sample: [T, D] -> [B, D]. */
const sumPerSample = (x: tf.Tensor, shape: BlockShape) => tf.sum(perSample(x, shape), 1) as tf.Tensor2D;

/** How the B*H attention heads are laid out in the rows. */
const headLayout = (shape: BlockShape) => ({ batch: shape.batch, heads: shape.numHeads });

const disposeAll = (...tensors: tf.Tensor[]) => tf.dispose(tensors);

/**
 * out = x1 + gate2 * MLP(mod(LN(x1))), x1 = x + gate1 * proj(attn(mod(LN(x)))).
 * With `keep`, also returns the activations the backward pass needs; without, frees every
 * intermediate as early as possible (inference).
 */
export function blockForward(
  x: tf.Tensor2D, siluC: tf.Tensor2D, weights: BlockWeights, rope: RopeTables, shape: BlockShape, keep: boolean,
): { output: tf.Tensor2D; activations?: BlockActivations } {
  const scale = 1 / Math.sqrt(shape.hiddenSize / shape.numHeads);
  const modulation = linear(siluC, weights.adaW, weights.adaB);
  const mod = modulationParts(modulation, shape);
  const { normalized: normalized1, rstd: rstd1 } = layerNormForward(x);
  const h1 = modulate(normalized1, mod.scalePlus1, mod.shift1, shape);
  const qkv = linear(h1, weights.qkvW, weights.qkvB);
  h1.dispose();
  const heads = qkvToHeads(qkv, rope, headLayout(shape), scale);
  qkv.dispose();
  const headsOut = attentionForward(heads);
  const attended = headsToRows(headsOut, headLayout(shape));
  tf.dispose(headsOut);
  const projected = linear(attended, weights.projW, weights.projB);
  const x1 = gatedAdd(x, mod.gate1, projected, shape);
  const { normalized: normalized2, rstd: rstd2 } = layerNormForward(x1);
  const h2 = modulate(normalized2, mod.scalePlus2, mod.shift2, shape);
  const mlpHidden = linear(h2, weights.mlpInW, weights.mlpInB);
  h2.dispose();
  const activated = geluTanh(mlpHidden);
  const mlpOutput = linear(activated, weights.mlpOutW, weights.mlpOutB);
  activated.dispose();
  const output = gatedAdd(x1, mod.gate2, mlpOutput, shape);
  disposeAll(x1, ...Object.values(mod));
  if (keep) {
    return { output, activations: { modulation, normalized1, rstd1, heads, attended, projected, normalized2, rstd2, mlpHidden, mlpOutput } };
  }
  disposeAll(modulation, normalized1, rstd1, ...headTensors(heads), attended, projected, normalized2, rstd2, mlpHidden, mlpOutput);
  return { output };
}

/** Gradients of one block with respect to its input, its conditioning and each weight. */
export interface BlockGradients {
  dx: tf.Tensor2D; dSiluC: tf.Tensor2D;
  weights: { [K in keyof BlockWeights]: tf.Tensor };
}

/** The backward pass of {@link blockForward} (SPEC section 2, step 4, differentiated step by step). */
export function blockBackward(
  dOut: tf.Tensor2D, siluC: tf.Tensor2D, weights: BlockWeights, activations: BlockActivations, rope: RopeTables, shape: BlockShape,
): BlockGradients {
  const scale = 1 / Math.sqrt(shape.hiddenSize / shape.numHeads);
  const mod = modulationParts(activations.modulation, shape);

  // MLP branch: out = x1 + gate2 * m, m = gelu(u) W2 + b2, u = h2 W1 + b1, h2 = x_hat2 (1 + scale2) + shift2.
  const dGate2 = tf.tidy(() => sumPerSample(tf.mul(perSample(dOut, shape), perSample(activations.mlpOutput, shape)), shape));
  const dMlpOutput = tf.tidy(() => asRows(tf.mul(perSample(dOut, shape), mod.gate2), shape));
  const activated = geluTanh(activations.mlpHidden);
  const dMlpOutW = matMul2d(activated, dMlpOutput, true, false);
  activated.dispose();
  const dMlpOutB = tf.sum(dMlpOutput, 0);
  const dActivated = matMul2d(dMlpOutput, weights.mlpOutW, false, true);
  dMlpOutput.dispose();
  const dMlpHidden = geluTanhBackward(dActivated, activations.mlpHidden);
  dActivated.dispose();
  const h2 = modulate(activations.normalized2, mod.scalePlus2, mod.shift2, shape);
  const [dH2, dMlpInW, dMlpInB] = linearBackward(dMlpHidden, h2, weights.mlpInW);
  disposeAll(h2, dMlpHidden);
  const dScale2 = tf.tidy(() => sumPerSample(tf.mul(dH2, activations.normalized2), shape));
  const dShift2 = sumPerSample(dH2, shape);
  const dNormalized2 = tf.tidy(() => asRows(tf.mul(perSample(dH2, shape), mod.scalePlus2), shape));
  dH2.dispose();
  const dX1 = tf.tidy(() => tf.add(dOut, layerNormBackward(dNormalized2, activations.normalized2, activations.rstd2)) as tf.Tensor2D);
  dNormalized2.dispose();

  // Attention branch: x1 = x + gate1 * p, p = attn W_p + b_p.
  const dGate1 = tf.tidy(() => sumPerSample(tf.mul(perSample(dX1, shape), perSample(activations.projected, shape)), shape));
  const dProjected = tf.tidy(() => asRows(tf.mul(perSample(dX1, shape), mod.gate1), shape));
  const [dAttended, dProjW, dProjB] = linearBackward(dProjected, activations.attended, weights.projW);
  dProjected.dispose();
  const dHeadsOut = rowsToHeads(dAttended, headLayout(shape), plainProductsOnly());
  dAttended.dispose();
  const { dQueries, dKeysT, dValuesT } = attentionBackward(activations.heads, dHeadsOut.plain, dHeadsOut.transposed);
  disposeAll(...dHeadsOut.plain, ...(dHeadsOut.transposed ?? []));
  const dQkv = headsToQkvGradient(dQueries, dKeysT, dValuesT, rope, headLayout(shape), scale);
  disposeAll(...dQueries, ...dKeysT, ...dValuesT);
  const h1 = modulate(activations.normalized1, mod.scalePlus1, mod.shift1, shape);
  const [dH1, dQkvW, dQkvB] = linearBackward(dQkv, h1, weights.qkvW);
  disposeAll(h1, dQkv);
  const dScale1 = tf.tidy(() => sumPerSample(tf.mul(dH1, activations.normalized1), shape));
  const dShift1 = sumPerSample(dH1, shape);
  const dNormalized1 = tf.tidy(() => asRows(tf.mul(perSample(dH1, shape), mod.scalePlus1), shape));
  dH1.dispose();
  const dx = tf.tidy(() => tf.add(dX1, layerNormBackward(dNormalized1, activations.normalized1, activations.rstd1)) as tf.Tensor2D);
  disposeAll(dNormalized1, dX1, ...Object.values(mod));

  // Modulation: [shift1, scale1, gate1, shift2, scale2, gate2] = SiLU(c) W_a + b_a.
  const dModulation = tf.concat([dShift1, dScale1, dGate1, dShift2, dScale2, dGate2], 1) as tf.Tensor2D;
  disposeAll(dShift1, dScale1, dGate1, dShift2, dScale2, dGate2);
  const [dSiluC, dAdaW, dAdaB] = linearBackward(dModulation, siluC, weights.adaW);
  dModulation.dispose();
  return {
    dx,
    dSiluC,
    weights: { adaW: dAdaW, adaB: dAdaB, qkvW: dQkvW, qkvB: dQkvB, projW: dProjW, projB: dProjB, mlpInW: dMlpInW, mlpInB: dMlpInB, mlpOutW: dMlpOutW, mlpOutB: dMlpOutB },
  };
}

/** Every per-head tensor of the attention operands. */
export function headTensors(heads: AttentionHeads): tf.Tensor2D[] {
  return [...heads.queries, ...heads.keysT, ...heads.values];
}

/** The inverse of {@link headTensors}, for `groups` = batch * heads. */
export function headsFromTensors(tensors: tf.Tensor[], groups: number): AttentionHeads {
  const list = tensors as tf.Tensor2D[];
  return { queries: list.slice(0, groups), keysT: list.slice(groups, 2 * groups), values: list.slice(2 * groups, 3 * groups) };
}
