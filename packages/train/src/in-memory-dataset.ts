import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@dit/core';
import type { SampledBatch } from '@dit/data';
import type { TrainingBatch, TrainingDataset } from './dataset.js';

/** Values with a shape: a tensor's download, or a cache entry's arrays. */
export interface ShapedArray {
  data: Float32Array;
  shape: number[];
}

export interface InMemoryEntry {
  /** Cached (scaled) latents [C, h, w]. */
  latents: tf.Tensor3D | ShapedArray;
  /** Text embeddings [L, dim]. */
  text: tf.Tensor2D | ShapedArray;
  caption?: string;
  /** A mirrored copy made ahead of time. Default false. */
  flipped?: boolean;
}

function toShaped(value: tf.Tensor | ShapedArray, rank: number, field: string): ShapedArray {
  const shaped = value instanceof tf.Tensor ? { data: value.dataSync() as Float32Array, shape: [...value.shape] } : value;
  if (shaped.shape.length !== rank) throw new Error(`${field} must have rank ${rank}, got shape [${shaped.shape.join(', ')}]`);
  return { data: Float32Array.from(shaped.data), shape: [...shaped.shape] };
}

/**
 * A dataset held in memory: for tests, demos and `overfit`. Entries of one latent size share a
 * bucket (keyed `<w>x<h>` in latent pixels).
 */
export class InMemoryDataset implements TrainingDataset {
  private readonly items: { latents: ShapedArray; text: ShapedArray; caption: string; flipped: boolean }[];
  readonly entries: { flipped: boolean; caption: string; latentShape: number[] }[];

  constructor(entries: readonly InMemoryEntry[]) {
    if (entries.length === 0) throw new Error('entries must not be empty');
    this.items = entries.map((entry, i) => ({
      latents: toShaped(entry.latents, 3, `entries[${i}].latents`),
      text: toShaped(entry.text, 2, `entries[${i}].text`),
      caption: entry.caption ?? '',
      flipped: entry.flipped ?? false,
    }));
    const textShape = this.items[0].text.shape.join();
    this.items.forEach((item, i) => {
      if (item.text.shape.join() !== textShape) throw new Error(`entries[${i}].text has shape [${item.text.shape}], entries[0] has [${textShape}]`);
    });
    this.entries = this.items.map((item) => ({
      flipped: item.flipped,
      caption: item.caption,
      latentShape: [...item.latents.shape],
    }));
  }

  get size(): number {
    return this.items.length;
  }

  bucketIndices(): Map<string, number[]> {
    const buckets = new Map<string, number[]>();
    this.items.forEach((item, index) => {
      const key = `${item.latents.shape[2]}x${item.latents.shape[1]}|${item.latents.shape[0]}`;
      buckets.set(key, [...(buckets.get(key) ?? []), index]);
    });
    return buckets;
  }

  async loadBatch(batch: SampledBatch | readonly number[], options: { flip?: boolean; rng?: Rng } = {}): Promise<TrainingBatch> {
    const indices = 'indices' in batch ? batch.indices : batch;
    const items = indices.map((i) => {
      const item = this.items[i];
      if (!item) throw new Error(`index ${i} out of range [0, ${this.size})`);
      return item;
    });
    const [c, h, w] = items[0].latents.shape;
    if (items.some((item) => item.latents.shape.join() !== items[0].latents.shape.join())) throw new Error('a batch must hold latents of one shape');
    const latents = new Float32Array(items.length * c * h * w);
    items.forEach((item, b) => {
      const mirror = options.flip === true && options.rng !== undefined && options.rng.next() < 0.5;
      const base = b * c * h * w;
      if (!mirror) latents.set(item.latents.data, base);
      else for (let row = 0; row < c * h; row++) for (let x = 0; x < w; x++) latents[base + row * w + x] = item.latents.data[row * w + w - 1 - x];
    });
    const [length, dim] = items[0].text.shape;
    const text = new Float32Array(items.length * length * dim);
    items.forEach((item, b) => text.set(item.text.data, b * length * dim));
    return { latents: tf.tensor4d(latents, [items.length, c, h, w]), text: tf.tensor3d(text, [items.length, length, dim]) };
  }
}
