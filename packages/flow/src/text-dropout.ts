import * as tf from '@tensorflow/tfjs-core';
import { toRng, type RngLike } from '@dit/core';

export interface DropTextOptions {
  /** Text embeddings [B, ...] (usually [B, L, D]). */
  text: tf.Tensor;
  /** Chance that a sample's embeddings are zeroed (0.25 in phase 1, 0.10 later: SPEC section 6). */
  probability: number;
  /** Seed or generator; pass one `Rng` across steps for a stream. */
  rng: RngLike;
}

export interface DroppedText {
  /** A new tensor: `text` with the dropped samples zeroed. */
  text: tf.Tensor;
  /** Which samples were zeroed, one flag per sample. */
  dropped: boolean[];
}

/**
 * Classifier-free guidance training (SPEC section 3): zeroes each sample's text embeddings
 * with probability `probability`, so the network also learns the unconditional velocity that
 * sampling later takes from all-zero embeddings.
 */
export function dropText(options: DropTextOptions): DroppedText {
  const { text, probability } = options;
  if (!(probability >= 0 && probability <= 1)) throw new Error(`dropText: probability must lie in [0, 1], got ${probability}`);
  if (text.rank < 1) throw new Error(`dropText: text must have a batch axis, got shape [${text.shape.join(', ')}]`);
  const rng = toRng(options.rng);
  const batchSize = text.shape[0];
  const dropped = Array.from({ length: batchSize }, () => rng.next() < probability);
  const kept = tf.tidy(() => {
    const keepMask = tf.tensor(dropped.map((drop) => (drop ? 0 : 1)), [batchSize, ...new Array<number>(text.rank - 1).fill(1)], 'float32');
    return tf.mul(text, keepMask);
  });
  return { text: kept, dropped };
}
