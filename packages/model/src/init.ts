import * as tf from '@tensorflow/tfjs-core';
import { toRng, type RngLike } from '@dit/core';
import { PARAMETER_SLOTS } from './internals/parameters.js';
import type { SingleStreamDiTV2 } from './model.js';

/** How one parameter starts (SPEC section 2, "Initialisation"). */
export type InitRule =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  /** PyTorch's nn.Linear default for weights and biases: uniform(-bound, bound), bound = 1/sqrt(fan_in). */
  | { kind: 'uniform'; bound: number };

const EMBEDDER_WEIGHTS = new Set(['x_embedder.weight', 'text_embedder.weight', 't_embedder.0.weight', 't_embedder.2.weight']);

/**
 * The rule for a parameter: embedder weights N(0, 0.02); the final layer and every block's
 * adaLN output Linear zero (adaLN-Zero: each block starts as the identity and the model
 * outputs zero); everything else, embedder biases included, PyTorch's default.
 */
export function initRule(name: string, fanIn: number): InitRule {
  if (EMBEDDER_WEIGHTS.has(name)) return { kind: 'normal', std: 0.02 };
  if (name.startsWith('final_layer.') || /^blocks\.\d+\.adaLN_modulation\.1\./.test(name)) return { kind: 'zeros' };
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

export interface InitializeWeightsOptions {
  /** Seed or generator. Each parameter draws from its own `fork(name)` stream. Default 0. */
  seed?: RngLike;
}

/** All of the model's initialisation, in one place. */
export function initializeWeights(model: SingleStreamDiTV2, options: InitializeWeightsOptions = {}): void {
  const root = toRng(options.seed, 0);
  for (const slot of model[PARAMETER_SLOTS]()) {
    const rule = initRule(slot.name, slot.fanIn);
    const size = slot.variable.size;
    const rng = root.fork(slot.name);
    let values: Float32Array;
    if (rule.kind === 'zeros') values = new Float32Array(size);
    else if (rule.kind === 'normal') values = rng.normalArray(size, 0, rule.std);
    else values = rng.uniformArray(size, -rule.bound, rule.bound);
    tf.tidy(() => slot.variable.assign(tf.tensor(values, slot.variable.shape, 'float32')));
  }
}
