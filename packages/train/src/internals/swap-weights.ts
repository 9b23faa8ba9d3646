import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensors, NamedVariables } from '../types.js';

/**
 * Runs `fn` with other weights (e.g. the EMA's) in the variables, then puts the trained ones
 * back, also when `fn` throws. Costs one extra copy of the weights while it runs.
 */
export async function withWeights<T>(variables: NamedVariables, weights: NamedTensors, fn: () => Promise<T>): Promise<T> {
  const saved = new Map<string, tf.Tensor>();
  try {
    for (const [name, variable] of variables) {
      const replacement = weights.get(name);
      if (!replacement) throw new Error(`no replacement weight for '${name}'`);
      saved.set(name, tf.clone(variable));
      variable.assign(replacement);
    }
    return await fn();
  } finally {
    for (const [name, copy] of saved) {
      variables.get(name)!.assign(copy);
      copy.dispose();
    }
  }
}
