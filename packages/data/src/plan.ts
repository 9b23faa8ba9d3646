import { Rng } from '@dit/core';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { nearestBucket, type Bucket } from './buckets.js';
import { describeNonFiniteEntry, readCacheEntry } from './cache-entry.js';
import type { CacheSettings } from './cache-settings.js';
import { readCaption } from './caption.js';
import type { SourcePair } from './discover.js';
import { imageSize } from './image-io.js';
import { sha256 } from './internals/hash.js';
import type { ManifestEntry } from './manifest.js';
import { SourceError, type PreprocessFailure, type PreprocessWarning } from './report.js';
import type { ResizeMode } from './resize.js';
import { resizeWarnings, type ResizeWarningThresholds } from './resize-warnings.js';

/**
 * Flip augmentation at cache time. true adds a mirrored copy of every image (`<stem>.flipped`);
 * 'random' mirrors each image with probability 0.5 instead, one entry per image, which is what
 * the original's phase-1 preprocessing did (seeded here, so re-runs agree); false: no flips.
 */
export type FlipMode = boolean | 'random';

/** A cache entry to have: what it is made from and how. */
export interface PlannedEntry {
  file: string;
  pair: SourcePair;
  caption: string;
  captionHash: string;
  sourceHash: string;
  bucket: Bucket;
  flipped: boolean;
  originalWidth: number;
  originalHeight: number;
}

export interface PlanEntriesOptions {
  pairs: readonly SourcePair[];
  buckets: readonly Bucket[];
  flip: FlipMode;
  seed: number;
  /** Images whose shorter side is below this many pixels are reported, not cached. */
  minSize: number;
  autoOrient: boolean;
  /** How images meet their bucket (for the resize warnings). */
  resize: ResizeMode;
  resizeWarnings: Required<ResizeWarningThresholds>;
  signal?: AbortSignal;
}

export const ENTRY_EXTENSION = '.safetensors';

/**
 * Reads every caption, hashes every image and reads its size from the header, and decides each
 * image's bucket and flipped copies. Problems become report lines, not exceptions.
 */
export async function planEntries(
  options: PlanEntriesOptions,
): Promise<{ entries: PlannedEntry[]; failures: PreprocessFailure[]; warnings: PreprocessWarning[]; aborted: boolean }> {
  const entries: PlannedEntry[] = [];
  const failures: PreprocessFailure[] = [];
  const warnings: PreprocessWarning[] = [];
  const owners = new Map<string, string>();
  for (const pair of options.pairs) {
    if (options.signal?.aborted) break;
    try {
      const caption = await readCaption(pair);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(pair.imagePath);
      } catch (error) {
        throw new SourceError('unreadable-image', `${pair.imagePath}: cannot read: ${(error as Error).message}`);
      }
      const size = await imageSize(bytes, { autoOrient: options.autoOrient, name: pair.imagePath }).catch((error: Error) => {
        throw new SourceError('unreadable-image', error.message);
      });
      if (Math.min(size.width, size.height) < options.minSize) {
        throw new SourceError('too-small', `${pair.imagePath}: ${size.width}x${size.height} is smaller than minSize ${options.minSize} on its shorter side`);
      }
      const bucket = nearestBucket(options.buckets, size.width, size.height);
      const variants = options.flip === 'random' ? [new Rng(`${options.seed}/flip/${pair.stem}`).next() < 0.5] : options.flip ? [false, true] : [false];
      const planned = variants.map((flipped) => ({
        file: pair.stem + (flipped && options.flip === true ? '.flipped' : '') + ENTRY_EXTENSION,
        pair,
        caption,
        captionHash: sha256(caption),
        sourceHash: sha256(bytes),
        bucket,
        flipped,
        originalWidth: size.width,
        originalHeight: size.height,
      }));
      const clash = planned.find((entry) => owners.has(entry.file));
      if (clash) {
        throw new SourceError(
          'duplicate-name',
          `${pair.imagePath}: its cache entry ${clash.file} would overwrite the one made from ${owners.get(clash.file)}; rename one of them`,
        );
      }
      for (const entry of planned) owners.set(entry.file, pair.imageFile);
      entries.push(...planned);
      warnings.push(...resizeWarnings({ file: pair.imageFile, path: pair.imagePath, ...size }, bucket, options.resize, options.resizeWarnings));
      if (size.frames > 1) {
        warnings.push({
          source: pair.imageFile,
          kind: 'first-frame',
          factor: size.frames,
          message: `${pair.imagePath}: holds ${size.frames} frames (an animation or a multi-page file); its first frame is cached`,
        });
      }
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      failures.push({ source: pair.imageFile, kind: error.kind, message: error.message });
    }
  }
  return { entries, failures, warnings, aborted: options.signal?.aborted === true };
}

/** The manifest line of a planned entry made under `settings`. */
export function manifestEntryFor(entry: PlannedEntry, settings: CacheSettings): ManifestEntry {
  return {
    file: entry.file,
    source: entry.pair.imageFile,
    sourceHash: entry.sourceHash,
    captionHash: entry.captionHash,
    caption: entry.caption,
    bucket: { width: entry.bucket.width, height: entry.bucket.height },
    flipped: entry.flipped,
    latentShape: [settings.latentChannels, entry.bucket.height / settings.downsample, entry.bucket.width / settings.downsample],
    textShape: [settings.textMaxLength, settings.textDim],
  };
}

/** Whether an entry file can be kept, and when it cannot although it exists, what is wrong with it. */
export type EntryStatus = { upToDate: true } | { upToDate: false; damage?: string };

/**
 * Up to date when the entry file exists, reads whole, holds only finite values, and was made from
 * the same image bytes and caption under the same settings, bucket and flip. Anything else is
 * redone; a file that exists but cannot be read, or holds NaN or Inf, comes with `damage` saying
 * why (so the report can say it was encoded again).
 */
export async function entryStatus(path: string, expected: ManifestEntry, settingsKey: string): Promise<EntryStatus> {
  if (!existsSync(path)) return { upToDate: false };
  try {
    const entry = await readCacheEntry(path);
    const nonFinite = describeNonFiniteEntry(entry);
    if (nonFinite) return { upToDate: false, damage: `${path}: ${nonFinite}` };
    const { metadata } = entry;
    const latentShape = entry.latents.shape;
    const textShape = entry.textEmbeddings.shape;
    const same =
      metadata.sourceHash === expected.sourceHash &&
      metadata.captionHash === expected.captionHash &&
      metadata.settings === settingsKey &&
      metadata.flipped === expected.flipped &&
      metadata.source === expected.source &&
      metadata.width === expected.bucket.width &&
      metadata.height === expected.bucket.height &&
      latentShape.join() === expected.latentShape.join() &&
      textShape.join() === expected.textShape.join();
    return same ? { upToDate: true } : { upToDate: false };
  } catch (error) {
    return { upToDate: false, damage: (error as Error).message };
  }
}
