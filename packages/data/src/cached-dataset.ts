import { Rng, withDefaults } from '@dit/core';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { bucketKey } from './buckets.js';
import type { SampledBatch } from './bucket-batch-sampler.js';
import { assertEntryFinite, CacheEntryError, readCacheEntry, readCacheEntryHeader, type CacheEntry, type CacheEntryMetadata } from './cache-entry.js';
import type { LatentToModel } from './latent-transform.js';
import { describeShapeMismatch, readManifest, type Manifest, type ManifestEntry } from './manifest.js';

export interface CachedDatasetOptions {
  cacheDir: string;
  /** Read every entry at open (fails early, fast batches) instead of per batch. Default false. */
  inMemory?: boolean;
  /** Applied to each batch's latents, e.g. @dit/flow's normalisation. Default none. */
  latentTransform?: LatentToModel;
  /** Probability of zeroing a sample's text embeddings, for classifier-free guidance. Default 0. */
  textDropout?: number;
  /**
   * 'sample' draws dropout per sample (the later original); 'batch' zeroes a whole batch at once
   * (the original's first training scripts). Default 'sample'.
   */
  textDropoutPer?: 'sample' | 'batch';
  /** Mirror each sample's latents left-right with probability 0.5 at load time. Default false. */
  flip?: boolean;
  /** Seeds dropout and flips. Default 0. */
  seed?: number;
  /** Open every entry's header at `open()`, so a missing, cut-short or reshaped file fails at once, by name. Default true. */
  checkEntries?: boolean;
}

export const CACHED_DATASET_DEFAULTS = { inMemory: false, textDropout: 0, textDropoutPer: 'sample', flip: false, seed: 0, checkEntries: true } as const;

/** Per-call overrides of the dataset's augmentation. */
export interface LoadBatchOptions {
  textDropout?: number;
  flip?: boolean;
  /**
   * Source of the dropout and flip draws (advanced by one draw per batch). Default: derived from
   * (seed, epoch, position) for a SampledBatch, so a resumed run repeats them; the dataset's own
   * seeded stream for plain indices.
   */
  rng?: Rng;
}

/** Tensors the caller disposes (`tf.dispose([batch.latents, batch.text, batch.attentionMask])`). */
export interface Batch {
  /** `[B, C, h, w]`, after the latent transform. */
  latents: tf.Tensor4D;
  /** `[B, L, dim]`; all zeros where `textDropped`. */
  text: tf.Tensor3D;
  /** `[B, L]` int32, 1 = token; left as cached where text is dropped. */
  attentionMask: tf.Tensor2D;
  entries: CacheEntryMetadata[];
  bucket: string;
  textDropped: boolean[];
  /** Mirrored at load time (not counting flips made at cache time, see `entries[i].flipped`). */
  flippedAtLoad: boolean[];
}

/** Reverses the last axis of `[C, h, w]` (torch.flip(latents, dims=[-1]), as the original). */
function flipLatents(data: Float32Array, shape: readonly number[], out: Float32Array, offset: number): void {
  const width = shape[shape.length - 1];
  for (let row = 0; row < data.length / width; row++) {
    for (let x = 0; x < width; x++) out[offset + row * width + x] = data[row * width + width - 1 - x];
  }
}

/** The entries of a cache folder, read through its manifest, loaded as batches from one bucket. */
export class CachedDataset {
  private readonly memory: CacheEntry[] | null;
  private readonly rng: Rng;

  private constructor(
    readonly cacheDir: string,
    readonly manifest: Manifest,
    private readonly options: Required<Omit<CachedDatasetOptions, 'latentTransform'>> & Pick<CachedDatasetOptions, 'latentTransform'>,
    memory: CacheEntry[] | null,
  ) {
    this.memory = memory;
    this.rng = new Rng(`cached-dataset/${options.seed}`);
  }

  static async open(options: CachedDatasetOptions): Promise<CachedDataset> {
    const datasetOptions = withDefaults(CACHED_DATASET_DEFAULTS, options);
    if (!(datasetOptions.textDropout >= 0 && datasetOptions.textDropout <= 1)) throw new Error(`CachedDataset: textDropout must be in [0, 1], got ${datasetOptions.textDropout}`);
    const manifest = await readManifest(datasetOptions.cacheDir);
    if (manifest.entries.length === 0) throw new Error(`${datasetOptions.cacheDir}: the cache has no entries`);
    const dataset = new CachedDataset(datasetOptions.cacheDir, manifest, datasetOptions, null);
    if (datasetOptions.checkEntries) await dataset.checkEntryHeaders();
    if (!datasetOptions.inMemory) return dataset;
    const memory: CacheEntry[] = [];
    for (let i = 0; i < manifest.entries.length; i++) memory.push(await dataset.loadEntry(i));
    return new CachedDataset(datasetOptions.cacheDir, manifest, datasetOptions, memory);
  }

  get size(): number {
    return this.manifest.entries.length;
  }

  get entries(): readonly ManifestEntry[] {
    return this.manifest.entries;
  }

  /** Dataset indices per bucket key, for `BucketBatchSampler`. */
  bucketIndices(): Map<string, number[]> {
    const buckets = new Map<string, number[]>();
    this.manifest.entries.forEach((entry, index) => {
      const key = bucketKey(entry.bucket);
      buckets.set(key, [...(buckets.get(key) ?? []), index]);
    });
    return buckets;
  }

  /**
   * Opens every listed entry's header: a missing, cut-short or reshaped file is named at once,
   * not when its first batch comes up hours into training. Values are checked as each entry loads.
   */
  private async checkEntryHeaders(): Promise<void> {
    const damaged: string[] = [];
    for (const line of this.manifest.entries) {
      const path = join(this.cacheDir, line.file);
      try {
        const mismatch = describeShapeMismatch(await readCacheEntryHeader(path), line);
        if (mismatch) damaged.push(`${path}: ${mismatch}`);
      } catch (error) {
        damaged.push((error as Error).message);
      }
    }
    if (damaged.length === 0) return;
    const shown = damaged.slice(0, 10).join('\n  ') + (damaged.length > 10 ? `\n  (${damaged.length - 10} more)` : '');
    throw new Error(
      `${this.cacheDir}: ${damaged.length} of ${this.size} entries cannot be used; run preprocess again, which encodes damaged entries anew (dit check-cache ${this.cacheDir} checks their values too):\n  ${shown}`,
    );
  }

  /** One entry's arrays, checked against the manifest and for NaN or Inf; a bad file fails with its name. */
  async loadEntry(index: number): Promise<CacheEntry> {
    const line = this.manifest.entries[index];
    if (!line) throw new Error(`CachedDataset: index ${index} out of range [0, ${this.size})`);
    if (this.memory) return this.memory[index];
    const path = join(this.cacheDir, line.file);
    const entry = await readCacheEntry(path);
    const mismatch = describeShapeMismatch({ latentShape: entry.latents.shape, textShape: entry.textEmbeddings.shape }, line);
    if (mismatch) throw new CacheEntryError(path, `${mismatch}; re-run preprocess()`);
    assertEntryFinite(path, entry);
    return entry;
  }

  /** Loads a batch (all from one bucket) as tensors, applying dropout, flips and the latent transform. */
  async loadBatch(batch: SampledBatch | readonly number[], options: LoadBatchOptions = {}): Promise<Batch> {
    const indices = 'indices' in batch ? batch.indices : batch;
    if (indices.length === 0) throw new Error('CachedDataset.loadBatch: no indices');
    const keys = new Set(indices.map((i) => (this.manifest.entries[i] ? bucketKey(this.manifest.entries[i].bucket) : `index ${i}?`)));
    if (keys.size > 1) throw new Error(`CachedDataset.loadBatch: a batch must come from one bucket, got ${[...keys].join(', ')}`);
    const source = options.rng ?? ('indices' in batch ? new Rng(`cached-dataset/${this.options.seed}/${batch.epoch}/${batch.position}`) : this.rng);
    // One draw from the source per batch (fork alone would not advance it), then a stream per purpose.
    const draws = new Rng(source.nextUint32());
    const flipRng = draws.fork('flip');
    const dropRng = draws.fork('text-dropout');
    const textDropout = options.textDropout ?? this.options.textDropout;
    const flip = options.flip ?? this.options.flip;

    const entries: CacheEntry[] = [];
    for (const index of indices) entries.push(await this.loadEntry(index));
    const [first] = entries;
    const latentSize = first.latents.data.length;
    const textSize = first.textEmbeddings.data.length;
    const length = first.attentionMask.data.length;
    const latents = new Float32Array(entries.length * latentSize);
    const text = new Float32Array(entries.length * textSize);
    const mask = new Int32Array(entries.length * length);
    const batchDrop = this.options.textDropoutPer === 'batch' && dropRng.next() < textDropout;
    const textDropped: boolean[] = [];
    const flippedAtLoad: boolean[] = [];
    entries.forEach((entry, b) => {
      const flipped = flip && flipRng.next() < 0.5;
      if (flipped) flipLatents(entry.latents.data, entry.latents.shape, latents, b * latentSize);
      else latents.set(entry.latents.data, b * latentSize);
      const dropped = this.options.textDropoutPer === 'batch' ? batchDrop : textDropout > 0 && dropRng.next() < textDropout;
      if (!dropped) text.set(entry.textEmbeddings.data, b * textSize);
      mask.set(entry.attentionMask.data, b * length);
      textDropped.push(dropped);
      flippedAtLoad.push(flipped);
    });
    const transform = this.options.latentTransform;
    const latentTensor = tf.tidy(() => {
      const raw = tf.tensor4d(latents, [entries.length, ...(first.latents.shape as [number, number, number])]);
      return (transform ? transform.toModel(raw) : raw) as tf.Tensor4D;
    });
    return {
      latents: latentTensor,
      text: tf.tensor3d(text, [entries.length, ...(first.textEmbeddings.shape as [number, number])]),
      attentionMask: tf.tensor2d(mask, [entries.length, length], 'int32'),
      entries: entries.map((entry) => entry.metadata),
      bucket: [...keys][0],
      textDropped,
      flippedAtLoad,
    };
  }
}
