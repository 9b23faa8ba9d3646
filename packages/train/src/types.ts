import type * as tf from '@tensorflow/tfjs-core';

/** Trainable weights by name: the model's PyTorch state-dict names (SPEC section 2). */
export type NamedVariables = ReadonlyMap<string, tf.Variable>;

/** Tensors by parameter name: gradients, moments, EMA copies. */
export type NamedTensors = ReadonlyMap<string, tf.Tensor>;
