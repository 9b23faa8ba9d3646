import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import type { TextEncoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';

/**
 * Every weight moved by seeded noise of this scale. A freshly initialised model's adaLN-Zero
 * gates and final layer are zero, so its velocity is zero whatever the text: a test that tells
 * prompts apart needs weights that are not.
 */
export function perturbWeights(model: SingleStreamDiTV2, options: { seed: number; scale: number }): void {
  const rng = new Rng(`perturb/${options.seed}`);
  for (const { variable } of model.namedVariables()) {
    const noise = rng.normalTensor(variable.shape);
    variable.assign(tf.tidy(() => tf.add(variable, tf.mul(noise, options.scale))));
    noise.dispose();
  }
}

/** A small model for 2x2 pixel patches (12 channels) and [8, 16] text, weights perturbed so that text matters; runs in well under a second. */
export function smallModel(seed = 1): SingleStreamDiTV2 {
  const model = new SingleStreamDiTV2({ inChannels: 12, patchSize: 2, hiddenSize: 32, depth: 1, numHeads: 2, textDim: 16, textLength: 8, seed });
  perturbWeights(model, { seed, scale: 0.1 });
  return model;
}

/**
 * A text encoder of your own: every prompt gets seeded embeddings from its text, so that
 * different prompts differ and the same prompt repeats. Counts its calls.
 */
export class HashTextEncoder implements TextEncoder {
  readonly id = 'hash-encoder';
  readonly dim: number;
  readonly maxLength: number;
  calls = 0;
  disposed = false;

  constructor(options: { dim: number; maxLength: number }) {
    this.dim = options.dim;
    this.maxLength = options.maxLength;
  }

  async encode(prompts: string[]): Promise<{ embeddings: tf.Tensor3D; attentionMask: tf.Tensor2D }> {
    this.calls += 1;
    const embeddings = tf.tidy(() => tf.concat(prompts.map((prompt) => new Rng(`prompt/${prompt}`).normalTensor([1, this.maxLength, this.dim])))) as tf.Tensor3D;
    return { embeddings, attentionMask: tf.ones([prompts.length, this.maxLength], 'int32') as tf.Tensor2D };
  }

  dispose(): void {
    this.disposed = true;
  }
}
