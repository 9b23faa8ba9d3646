import { Rng, withDefaults } from '@dit/core';
import { compareNatural } from './internals/natural-sort.js';

/** One batch to load: dataset indices from a single bucket. */
export interface SampledBatch {
  epoch: number;
  /** Batch number within the epoch. */
  position: number;
  bucket: string;
  indices: number[];
}

/** Where the sampler stands: the next batch it will hand out. Save it with a checkpoint. */
export interface BucketBatchSamplerState {
  epoch: number;
  position: number;
  /** Checked on restore, so a state is not applied to another dataset or setting. */
  seed: number;
  batchSize: number;
  items: number;
}

export interface BucketBatchSamplerOptions {
  /** Dataset indices per bucket key (`CachedDataset.bucketIndices()`). */
  buckets: ReadonlyMap<string, readonly number[]> | Readonly<Record<string, readonly number[]>>;
  /** Default 8 (SPEC section 5). */
  batchSize?: number;
  /** Drop each bucket's last incomplete batch. Default true, as the original. */
  dropLast?: boolean;
  /** Default true. */
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
}

export const BUCKET_BATCH_SAMPLER_DEFAULTS = { batchSize: 8, dropLast: true, shuffle: true, seed: 0 } as const;

/**
 * Batches drawn within one bucket only. Each epoch, as the original's BucketBatchSampler: shuffle
 * every bucket, cut it into batches (dropping the short last one), shuffle the batch order. The
 * order is a pure function of (seed, epoch), so `{ epoch, position }` is enough to resume exactly.
 */
export class BucketBatchSampler {
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly shuffle: boolean;
  readonly seed: number;
  /** Batches in every epoch. */
  readonly batchesPerEpoch: number;
  private readonly buckets: [string, readonly number[]][];
  private readonly items: number;
  private epochNumber = 0;
  private position = 0;
  private cached: { epoch: number; batches: SampledBatch[] } | null = null;

  constructor(options: BucketBatchSamplerOptions) {
    const samplerOptions = withDefaults(BUCKET_BATCH_SAMPLER_DEFAULTS, options);
    if (!Number.isInteger(samplerOptions.batchSize) || samplerOptions.batchSize < 1) throw new Error(`BucketBatchSampler: batchSize must be a positive integer, got ${samplerOptions.batchSize}`);
    this.batchSize = samplerOptions.batchSize;
    this.dropLast = samplerOptions.dropLast;
    this.shuffle = samplerOptions.shuffle;
    this.seed = samplerOptions.seed;
    const entries = samplerOptions.buckets instanceof Map ? [...samplerOptions.buckets.entries()] : Object.entries(samplerOptions.buckets as Record<string, readonly number[]>);
    // Sorted, so the order does not depend on how the caller built the map.
    this.buckets = entries.map(([key, indices]) => [key, [...indices]] as [string, number[]]).sort(([a], [b]) => compareNatural(a, b));
    this.items = this.buckets.reduce((n, [, indices]) => n + indices.length, 0);
    this.batchesPerEpoch = this.buckets.reduce(
      (n, [, indices]) => n + (this.dropLast ? Math.floor(indices.length / this.batchSize) : Math.ceil(indices.length / this.batchSize)),
      0,
    );
    if (this.batchesPerEpoch === 0) {
      const sizes = this.buckets.map(([key, indices]) => `${key}: ${indices.length}`).join(', ') || 'no items';
      throw new Error(`BucketBatchSampler: no bucket holds a full batch of ${this.batchSize} (${sizes}); lower batchSize or set dropLast false`);
    }
  }

  /** Every batch of an epoch, in order. */
  batchesForEpoch(epoch: number): SampledBatch[] {
    if (this.cached?.epoch === epoch) return this.cached.batches;
    const rng = new Rng(`bucket-batch-sampler/${this.seed}/${epoch}`);
    const batches: Omit<SampledBatch, 'epoch' | 'position'>[] = [];
    for (const [bucket, indices] of this.buckets) {
      const order = this.shuffle ? rng.shuffle([...indices]) : [...indices];
      for (let start = 0; start < order.length; start += this.batchSize) {
        const chunk = order.slice(start, start + this.batchSize);
        if (this.dropLast && chunk.length < this.batchSize) continue;
        batches.push({ bucket, indices: chunk });
      }
    }
    if (this.shuffle) rng.shuffle(batches);
    const result = batches.map((batch, position) => ({ epoch, position, ...batch }));
    this.cached = { epoch, batches: result };
    return result;
  }

  /** The epoch the next batch belongs to. */
  get epoch(): number {
    return this.epochNumber;
  }

  /** The next batch, moving into the next epoch after the last one. */
  next(): SampledBatch {
    const batch = this.batchesForEpoch(this.epochNumber)[this.position];
    this.position++;
    if (this.position >= this.batchesPerEpoch) {
      this.epochNumber++;
      this.position = 0;
    }
    return batch;
  }

  /** The batches left in the current epoch (all of them at its start); advances as it yields. */
  *epochBatches(): Generator<SampledBatch> {
    const epoch = this.epochNumber;
    while (this.epochNumber === epoch) yield this.next();
  }

  getState(): BucketBatchSamplerState {
    return { epoch: this.epochNumber, position: this.position, seed: this.seed, batchSize: this.batchSize, items: this.items };
  }

  setState(state: BucketBatchSamplerState): void {
    const mismatch = (['seed', 'batchSize', 'items'] as const).filter((key) => state[key] !== this[key]);
    if (mismatch.length > 0) {
      const show = mismatch.map((key) => `${key} ${state[key]} (sampler has ${this[key]})`).join(', ');
      throw new Error(`BucketBatchSampler.setState: the state is for another sampler: ${show}`);
    }
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position >= this.batchesPerEpoch) {
      throw new Error(`BucketBatchSampler.setState: epoch ${state.epoch} position ${state.position} out of range (${this.batchesPerEpoch} batches an epoch)`);
    }
    this.epochNumber = state.epoch;
    this.position = state.position;
  }
}
