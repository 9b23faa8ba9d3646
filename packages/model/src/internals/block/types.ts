import type * as tf from '@tensorflow/tfjs-core';

/** A block's parameters as tensors, weights [in, out] (the transpose of PyTorch's nn.Linear.weight). */
export interface BlockWeights {
  adaW: tf.Tensor2D; adaB: tf.Tensor1D;
  qkvW: tf.Tensor2D; qkvB: tf.Tensor1D;
  projW: tf.Tensor2D; projB: tf.Tensor1D;
  mlpInW: tf.Tensor2D; mlpInB: tf.Tensor1D;
  mlpOutW: tf.Tensor2D; mlpOutB: tf.Tensor1D;
}

/** The order in which the block op receives its weights (and returns their gradients). */
export const WEIGHT_KEYS = [
  'qkvW', 'qkvB', 'projW', 'projB', 'mlpInW', 'mlpInB', 'mlpOutW', 'mlpOutB', 'adaW', 'adaB',
] as const satisfies readonly (keyof BlockWeights)[];

export interface BlockShape {
  batch: number;
  /** Sequence length N. */
  tokens: number;
  hiddenSize: number;
  numHeads: number;
}

/** What the backward pass needs from the forward pass (13 [T, D] in all with the default attention; the MLP's are [T, 4D]). */
export interface BlockActivations {
  /** [B, 6D]: shift1, scale1, gate1, shift2, scale2, gate2. */
  modulation: tf.Tensor2D;
  /** LayerNorm(x) and its 1/sigma [T, 1]. */
  normalized1: tf.Tensor2D; rstd1: tf.Tensor2D;
  /** What the attention kernel saved for its backward pass (the default: per-head operands). */
  attention: tf.Tensor[];
  /** Attention output before proj, and proj's output, [T, D]. */
  attended: tf.Tensor2D; projected: tf.Tensor2D;
  normalized2: tf.Tensor2D; rstd2: tf.Tensor2D;
  /** MLP pre-activation [T, 4D] and output [T, D]. */
  mlpHidden: tf.Tensor2D; mlpOutput: tf.Tensor2D;
}

/** The activations saved as tensors, in this order, followed by the attention kernel's. */
const ACTIVATION_KEYS = [
  'modulation', 'normalized1', 'rstd1', 'attended', 'projected', 'normalized2', 'rstd2', 'mlpHidden', 'mlpOutput',
] as const satisfies readonly Exclude<keyof BlockActivations, 'attention'>[];

/** The activations as one list of tensors (what a tfjs custom op saves). */
export function packActivations(activations: BlockActivations): tf.Tensor[] {
  return [...ACTIVATION_KEYS.map((key) => activations[key]), ...activations.attention];
}

/** The inverse of {@link packActivations}. */
export function unpackActivations(tensors: tf.Tensor[]): BlockActivations {
  const named = Object.fromEntries(ACTIVATION_KEYS.map((key, i) => [key, tensors[i]]));
  return { ...named, attention: tensors.slice(ACTIVATION_KEYS.length) } as unknown as BlockActivations;
}

/** Gradients of one block with respect to its input, its conditioning and each weight. */
export interface BlockGradients {
  dx: tf.Tensor2D;
  dSiluC: tf.Tensor2D;
  weights: { [K in keyof BlockWeights]: tf.Tensor };
}
