import type * as tf from '@tensorflow/tfjs-core';

/** One trainable tensor with the PyTorch state-dict name and layout it maps to. */
export interface ParameterSlot {
  /** PyTorch state-dict name, e.g. `blocks.0.qkv.weight`. */
  name: string;
  variable: tf.Variable;
  /** The shape in a PyTorch checkpoint ([out, in] for Linear weights). */
  torchShape: number[];
  /** True when the variable holds the 2-D transpose of the PyTorch tensor ([in, out]). */
  transposed: boolean;
  /** Inputs of the Linear it belongs to, for PyTorch's default uniform(+-1/sqrt(fan_in)) init. */
  fanIn: number;
  kind: 'weight' | 'bias';
}

/**
 * Key of the model's method that lists its ParameterSlots. A symbol the package does not export,
 * so the slots (with initialisation facts) stay internal; users see `namedVariables()`.
 */
export const PARAMETER_SLOTS: unique symbol = Symbol('dit.parameterSlots');

/** Something that owns parameters: the model, a block, a Linear. */
export interface HasParameterSlots {
  [PARAMETER_SLOTS](): ParameterSlot[];
}
