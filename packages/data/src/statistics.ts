import { Progress } from '@dit/core';
import { join } from 'node:path';
import { bucketKey } from './buckets.js';
import { CacheEntryError, describeNonFiniteEntry, readCacheEntry } from './cache-entry.js';
import { describeShapeMismatch, readManifest } from './manifest.js';
import { RunningMoments } from './moments.js';

export interface MomentStatistics {
  /** Number of latent values. */
  count: number;
  mean: number;
  /** Unbiased (n - 1), as torch's `std()`. */
  std: number;
  min: number;
  max: number;
}

export interface LatentStatistics extends MomentStatistics {
  entries: number;
  /** One per latent channel. */
  perChannel: MomentStatistics[];
}

/** Normalisation values for `x = latent / std + offset` (SPEC section 4). */
export interface SuggestedNormalisation {
  /** Divide cached latents by this... */
  std: number;
  /** ...then add this: -mean, the original's convention (phase 3 used latent / 1.1908 + 0.3077). */
  offset: number;
  /** 1 / std: the factor that brings the standard deviation to 1. */
  scale: number;
  /** -mean / std: the offset that makes `latent / std + offset` exactly zero-mean. */
  centredOffset: number;
  /** The VAE scaling factor that would give std 1 directly: scalingFactor / std. */
  scalingFactor: number;
}

export interface CacheStatistics extends LatentStatistics {
  cacheDir: string;
  /** The autoencoder scaling factor the cache was made with (from the manifest). */
  scalingFactor: number;
  suggested: SuggestedNormalisation;
  /**
   * What the original's calculate_cache_statistics.py printed: the average of per-entry means
   * and of per-entry stds (close to, but not the same as, the global values above).
   */
  original: { meanOfEntryMeans: number; meanOfEntryStds: number };
  /** Per bucket key ('512x512'). */
  perBucket: Record<string, LatentStatistics>;
}

export interface CacheStatisticsOptions {
  /** Called after each entry. */
  onProgress?: (done: number, total: number) => void;
  /** Print progress to stderr with @dit/core's Progress. Default false. */
  showProgress?: boolean;
}

function summary(moments: RunningMoments): MomentStatistics {
  return { count: moments.count, mean: moments.mean, std: moments.std, min: moments.min, max: moments.max };
}

class GroupMoments {
  entries = 0;
  readonly channels: RunningMoments[] = [];

  add(channels: readonly RunningMoments[]): void {
    this.entries++;
    channels.forEach((moments, c) => {
      this.channels[c] ??= new RunningMoments();
      this.channels[c].merge(moments);
    });
  }

  result(): LatentStatistics {
    const all = new RunningMoments();
    for (const channel of this.channels) all.merge(channel);
    return { entries: this.entries, ...summary(all), perChannel: this.channels.map(summary) };
  }
}

/**
 * Mean and standard deviation of every cached latent, globally, per channel and per bucket, in
 * float64, with the normalisation they suggest. Reads the entries the manifest lists, whole: when
 * any cannot be read, holds NaN or Inf in its latents or text embeddings, or has other shapes than
 * the manifest lists, it throws, naming every such entry (statistics of a damaged cache would be NaN, or quietly
 * leave entries out).
 */
export async function cacheStatistics(cacheDir: string, options: CacheStatisticsOptions = {}): Promise<CacheStatistics> {
  const manifest = await readManifest(cacheDir);
  if (manifest.entries.length === 0) throw new Error(`${cacheDir}: the cache has no entries`);
  const global = new GroupMoments();
  const buckets = new Map<string, GroupMoments>();
  let sumOfMeans = 0;
  let sumOfStds = 0;
  const progress = options.showProgress ? new Progress('statistics', manifest.entries.length, { unit: 'entry' }) : null;
  const damaged: string[] = [];
  for (const [i, entry] of manifest.entries.entries()) {
    const path = join(cacheDir, entry.file);
    let read;
    try {
      read = await readCacheEntry(path);
    } catch (error) {
      if (!(error instanceof CacheEntryError)) throw error;
      damaged.push(error.message);
      progress?.tick();
      continue;
    }
    const { latents, textEmbeddings } = read;
    const problem = describeShapeMismatch({ latentShape: latents.shape, textShape: textEmbeddings.shape }, entry) ?? describeNonFiniteEntry(read);
    if (problem) {
      damaged.push(`${path}: ${problem}`);
      progress?.tick();
      continue;
    }
    const [channels, height, width] = latents.shape;
    if (global.channels.length > 0 && channels !== global.channels.length) {
      throw new CacheEntryError(path, `latents have ${channels} channels, earlier entries ${global.channels.length}`);
    }
    const plane = height * width;
    const perChannel = Array.from({ length: channels }, (_, c) => {
      const moments = new RunningMoments();
      moments.addStrided(latents.data, c * plane, plane);
      return moments;
    });
    global.add(perChannel);
    const key = bucketKey(entry.bucket);
    if (!buckets.has(key)) buckets.set(key, new GroupMoments());
    buckets.get(key)!.add(perChannel);
    const whole = new RunningMoments();
    for (const moments of perChannel) whole.merge(moments);
    sumOfMeans += whole.mean;
    sumOfStds += whole.std;
    progress?.tick();
    options.onProgress?.(i + 1, manifest.entries.length);
  }
  if (damaged.length > 0) {
    throw new Error(
      `${cacheDir}: ${damaged.length} of ${manifest.entries.length} entries are damaged, so the statistics would be meaningless; ` +
        `run preprocess again, which encodes damaged entries anew:\n  ${damaged.join('\n  ')}`,
    );
  }
  const stats = global.result();
  const scalingFactor = manifest.settings.scalingFactor;
  return {
    cacheDir,
    scalingFactor,
    ...stats,
    suggested: {
      std: stats.std,
      offset: -stats.mean,
      scale: 1 / stats.std,
      centredOffset: -stats.mean / stats.std,
      scalingFactor: scalingFactor / stats.std,
    },
    original: { meanOfEntryMeans: sumOfMeans / manifest.entries.length, meanOfEntryStds: sumOfStds / manifest.entries.length },
    perBucket: Object.fromEntries([...buckets.entries()].map(([key, group]) => [key, group.result()])),
  };
}

/** Lines for a command line, in the spirit of the original's "RESULTS TO COPY TO CONFIG.PY". */
export function formatCacheStatistics(stats: CacheStatistics): string[] {
  const f = (v: number) => v.toFixed(6);
  const lines = [
    `${stats.entries} entries, ${stats.count} latent values, scaling factor ${stats.scalingFactor}`,
    `mean ${f(stats.mean)}  std ${f(stats.std)}  min ${f(stats.min)}  max ${f(stats.max)}`,
    `original's numbers: mean of entry means ${f(stats.original.meanOfEntryMeans)}, mean of entry stds ${f(stats.original.meanOfEntryStds)}`,
    `suggested normalisation x = latent / std + offset: std = ${f(stats.suggested.std)}, offset = ${f(stats.suggested.offset)}` +
      ` (exactly zero-mean offset: ${f(stats.suggested.centredOffset)})`,
    `scale to unit std: ${f(stats.suggested.scale)} (VAE scaling factor ${f(stats.suggested.scalingFactor)})`,
  ];
  const shown = 32;
  stats.perChannel.slice(0, shown).forEach((c, i) => lines.push(`  channel ${i}: mean ${f(c.mean)} std ${f(c.std)}`));
  if (stats.perChannel.length > shown) lines.push(`  (${stats.perChannel.length - shown} more channels)`);
  for (const [key, bucket] of Object.entries(stats.perBucket)) {
    lines.push(`  [${key}] ${bucket.entries} entries: mean ${f(bucket.mean)} std ${f(bucket.std)}`);
  }
  return lines;
}
