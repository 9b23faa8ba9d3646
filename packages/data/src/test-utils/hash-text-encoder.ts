import { Rng } from '@dit/core';
import type { TextEncoder } from '@dit/encoders';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A deterministic stand-in for T5Gemma in tests: each lower-cased word becomes a fixed random
 * vector (seeded by the word), padded with zeros to `maxLength`. Records every call.
 */
export class HashTextEncoder implements TextEncoder {
  readonly id = 'hash-text-test';
  readonly calls: string[][] = [];
  disposed = false;

  constructor(
    readonly dim = 8,
    readonly maxLength = 12,
  ) {}

  async encode(prompts: string[]): Promise<{ embeddings: tf.Tensor3D; attentionMask: tf.Tensor2D }> {
    if (this.disposed) throw new Error('HashTextEncoder: used after dispose');
    this.calls.push([...prompts]);
    const { dim, maxLength } = this;
    const embeddings = new Float32Array(prompts.length * maxLength * dim);
    const mask = new Int32Array(prompts.length * maxLength);
    prompts.forEach((prompt, b) => {
      const words = prompt.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, maxLength);
      words.forEach((word, i) => {
        embeddings.set(new Rng(`word/${word}`).normalArray(dim), (b * maxLength + i) * dim);
        mask[b * maxLength + i] = 1;
      });
    });
    return {
      embeddings: tf.tensor3d(embeddings, [prompts.length, maxLength, dim]),
      attentionMask: tf.tensor2d(mask, [prompts.length, maxLength], 'int32'),
    };
  }

  dispose(): void {
    this.disposed = true;
  }
}
