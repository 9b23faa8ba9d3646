import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import type { SampledBatch } from '@dit/data';
import type { TrainingDataset } from './dataset.js';

/** An entry of a batch whose cached values hold NaN or Inf. */
export interface NonFiniteInput {
  /** Dataset index. */
  index: number;
  /** The entry's file when the dataset has one (a cache), else `entry <index>`. */
  name: string;
  parts: ('latents' | 'text embeddings')[];
}

function entryName(dataset: TrainingDataset, index: number): string {
  const entry = dataset.entries[index] as { file?: unknown };
  return typeof entry?.file === 'string' ? entry.file : `entry ${index}`;
}

/**
 * The entries of `batch` whose latents or text embeddings hold NaN or Inf, read again from the
 * dataset: after a non-finite loss, the first thing to rule out before blaming the learning rate.
 * A batch that no longer loads is reported through the loader's own error.
 */
export async function nonFiniteInputs(dataset: TrainingDataset, batch: SampledBatch): Promise<NonFiniteInput[] | Error> {
  let loaded;
  try {
    loaded = await dataset.loadBatch(batch, { flip: false, textDropout: 0, rng: new Rng(0) });
  } catch (error) {
    return error as Error;
  }
  const flags = tf.tidy(() => {
    const bad = (x: tf.Tensor, axes: number[]) => tf.cast(tf.any(tf.logicalNot(tf.isFinite(x)), axes), 'int32');
    return tf.stack([bad(loaded.latents, [1, 2, 3]), bad(loaded.text, [1, 2])]);
  });
  const [latentFlags, textFlags] = (await flags.array()) as number[][];
  tf.dispose([flags, loaded.latents, loaded.text, ...(loaded.attentionMask ? [loaded.attentionMask] : [])]);
  const found: NonFiniteInput[] = [];
  batch.indices.forEach((index, b) => {
    const parts: NonFiniteInput['parts'] = [];
    if (latentFlags[b]) parts.push('latents');
    if (textFlags[b]) parts.push('text embeddings');
    if (parts.length) found.push({ index, name: entryName(dataset, index), parts });
  });
  return found;
}

/** "entry 5 (latents), 12.safetensors (latents, text embeddings)". */
export function describeNonFiniteInputs(inputs: readonly NonFiniteInput[]): string {
  return inputs.map((input) => `${input.name} (${input.parts.join(', ')})`).join(', ');
}
