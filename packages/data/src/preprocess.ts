import { Progress, removeTempFiles, withDefaults } from '@dit/core';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketKey, DEFAULT_BUCKETS, validateBuckets, type Bucket } from './buckets.js';
import { cacheSettingsKey, type CacheSettings } from './cache-settings.js';
import { DISCOVER_PAIRS_DEFAULTS, scanDataset } from './discover.js';
import { encodeEntries } from './encode-entries.js';
import type { AlphaMode } from './image-io.js';
import { compareNatural } from './internals/natural-sort.js';
import { MANIFEST_FILE, tryReadManifest, writeManifest, type ManifestEntry } from './manifest.js';
import { entryStatus, manifestEntryFor, planEntries, type FlipMode, type PlannedEntry } from './plan.js';
import { REPORT_FILE, writePreprocessReport, type PreprocessFailure, type PreprocessResult } from './report.js';
import type { ResizeMode } from './resize.js';
import { RESIZE_WARNING_DEFAULTS, type ResizeWarningThresholds } from './resize-warnings.js';

export interface PreprocessProgress {
  /** Entries handled so far this run (written or failed), out of `total` that needed work. */
  done: number;
  total: number;
  written: number;
  /** Entries found up to date and not redone. */
  skipped: number;
  /** Sources that failed so far (scanning and encoding). */
  failed: number;
  imagesPerSecond: number;
  elapsedSeconds: number;
}

export interface PreprocessOptions {
  /** Folder of images (png, jpg, jpeg, webp) with same-stem .txt captions. */
  datasetDir: string;
  /** Where entries, `manifest.json` and `preprocess-report.json` go. Created if missing. */
  cacheDir: string;
  textEncoder: TextEncoder;
  autoencoder: ImageAutoencoder;
  /** Default the original's [512x512, 384x640, 640x384]. */
  buckets?: readonly Bucket[];
  /** Default 'stretch' (the original). */
  resize?: ResizeMode;
  /** Default false. See `FlipMode`. */
  flip?: FlipMode;
  /** Seeds the VAE posterior samples and 'random' flips. Default 0. */
  seed?: number;
  /** Images and captions encoded per call. Default 8. */
  batchSize?: number;
  /** Default 'sample' (the original drew from the VAE posterior). */
  encodeMode?: 'sample' | 'mean';
  /** Default 'drop' (the original's PIL `convert('RGB')`). */
  alpha?: AlphaMode;
  /** Apply EXIF orientation. Default true. */
  autoOrient?: boolean;
  /** Smallest accepted shorter side in pixels; smaller images are reported. Default 0 (any). */
  minSize?: number;
  /** The DiT's patch size, which bucket latents must divide into. Default 2. */
  patchSize?: number;
  /** Default png, jpg, jpeg, webp, gif, tif, tiff, avif (the original read the first four). */
  imageExtensions?: readonly string[];
  /** Default ['.txt']. */
  captionExtensions?: readonly string[];
  /** When an image's resize earns a warning in the report (extreme upscale, stretch or crop). Default RESIZE_WARNING_DEFAULTS. */
  resizeWarnings?: ResizeWarningThresholds;
  /** Remove entries of an earlier run whose source is gone or now fails. Default true. */
  prune?: boolean;
  /** Called after every batch. */
  onProgress?: (progress: PreprocessProgress) => void;
  /** Print progress to stderr with @dit/core's Progress. Default false. */
  showProgress?: boolean;
  /** Stops after the batch in flight, keeping what is written (map Ctrl-C to this). */
  signal?: AbortSignal;
}

export const PREPROCESS_DEFAULTS = {
  buckets: DEFAULT_BUCKETS,
  resize: 'stretch',
  flip: false,
  seed: 0,
  batchSize: 8,
  encodeMode: 'sample',
  alpha: 'drop',
  autoOrient: true,
  minSize: 0,
  patchSize: 2,
  prune: true,
  showProgress: false,
} as const satisfies Partial<PreprocessOptions>;

/** The manifest is rewritten at most this often while running, so a killed run loses little. */
const MANIFEST_EVERY_MS = 30_000;

/**
 * Turns a folder of captioned images into a latent cache: one safetensors entry per image (and
 * per flipped copy), a `manifest.json` and a `preprocess-report.json`. Re-running skips entries
 * that are up to date and redoes stale ones; bad inputs are reported and skipped. The encoders
 * are only borrowed: the caller may dispose them as soon as this resolves.
 */
export async function preprocess(options: PreprocessOptions): Promise<PreprocessResult> {
  const preprocessing = withDefaults(PREPROCESS_DEFAULTS, options);
  const startedAt = new Date();
  if (!Number.isInteger(preprocessing.batchSize) || preprocessing.batchSize < 1) throw new Error(`preprocess: batchSize must be a positive integer, got ${preprocessing.batchSize}`);
  if (preprocessing.resize !== 'stretch' && preprocessing.resize !== 'crop') throw new Error(`preprocess: resize must be 'stretch' or 'crop', got '${preprocessing.resize}'`);
  validateBuckets(preprocessing.buckets, { downsample: preprocessing.autoencoder.downsample, patchSize: preprocessing.patchSize });
  const settings: CacheSettings = {
    textEncoder: preprocessing.textEncoder.id,
    textMaxLength: preprocessing.textEncoder.maxLength,
    textDim: preprocessing.textEncoder.dim,
    autoencoder: preprocessing.autoencoder.id,
    latentChannels: preprocessing.autoencoder.latentChannels,
    downsample: preprocessing.autoencoder.downsample,
    scalingFactor: preprocessing.autoencoder.scalingFactor,
    resize: preprocessing.resize,
    alpha: preprocessing.alpha,
    autoOrient: preprocessing.autoOrient,
    encodeMode: preprocessing.encodeMode,
    seed: preprocessing.seed,
  };
  const settingsKey = cacheSettingsKey(settings);

  const { pairs, ignored } = await scanDataset(preprocessing);
  if (pairs.length === 0) {
    const notUsed = ignored.filter((file) => file.kind !== 'hidden').map((file) => `\n  ${file.message}`);
    throw new Error(
      `preprocess: no images (${(preprocessing.imageExtensions ?? DISCOVER_PAIRS_DEFAULTS.imageExtensions).join(', ')}) in ${preprocessing.datasetDir}` +
        (notUsed.length ? `; not used:${notUsed.slice(0, 10).join('')}${notUsed.length > 10 ? `\n  (${notUsed.length - 10} more)` : ''}` : ''),
    );
  }
  await mkdir(preprocessing.cacheDir, { recursive: true });
  const tempFiles = await removeTempFiles(preprocessing.cacheDir);
  const previous = await tryReadManifest(preprocessing.cacheDir);
  const plan = await planEntries({ ...preprocessing, pairs, resizeWarnings: withDefaults(RESIZE_WARNING_DEFAULTS, preprocessing.resizeWarnings) });
  const failures: PreprocessFailure[] = [...plan.failures];

  const kept: ManifestEntry[] = [];
  const pending: PlannedEntry[] = [];
  for (const entry of plan.entries) {
    const line = manifestEntryFor(entry, settings);
    const status = await entryStatus(join(preprocessing.cacheDir, entry.file), line, settingsKey);
    if (status.upToDate) kept.push(line);
    else pending.push(entry);
    if (!status.upToDate && status.damage) {
      plan.warnings.push({ source: entry.pair.imageFile, kind: 'damaged-entry', factor: 1, message: `${status.damage}; encoded again` });
    }
  }
  // Same-bucket entries side by side, so image batches fill up.
  pending.sort((a, b) => compareNatural(bucketKey(a.bucket), bucketKey(b.bucket)) || compareNatural(a.file, b.file));

  const written: ManifestEntry[] = [];
  const manifestOf = () => ({
    format: 'dit-latent-cache' as const,
    version: 1 as const,
    updatedAt: new Date().toISOString(),
    settings,
    buckets: preprocessing.buckets.map((b) => ({ width: b.width, height: b.height })),
    entries: [...kept, ...written].sort((a, b) => compareNatural(a.file, b.file)),
  });
  const failedSources = () => new Set(failures.map((f) => f.source)).size;
  const progressBar = preprocessing.showProgress && pending.length > 0 ? new Progress('preprocess', pending.length, { unit: 'img' }) : null;
  const encodeStart = Date.now();
  let lastManifest = Date.now();
  let done = 0;
  for (let start = 0; start < pending.length && !preprocessing.signal?.aborted; start += preprocessing.batchSize) {
    const chunk = pending.slice(start, start + preprocessing.batchSize);
    const result = await encodeEntries(chunk, { cacheDir: preprocessing.cacheDir, textEncoder: preprocessing.textEncoder, autoencoder: preprocessing.autoencoder, settings, settingsKey });
    written.push(...result.written);
    failures.push(...result.failures);
    done += chunk.length;
    const elapsedSeconds = (Date.now() - encodeStart) / 1000;
    progressBar?.tick(chunk.length, `${failedSources()} failed`);
    preprocessing.onProgress?.({
      done,
      total: pending.length,
      written: written.length,
      skipped: kept.length,
      failed: failedSources(),
      imagesPerSecond: written.length / Math.max(elapsedSeconds, 1e-9),
      elapsedSeconds,
    });
    if (Date.now() - lastManifest > MANIFEST_EVERY_MS) {
      await writeManifest(preprocessing.cacheDir, manifestOf());
      lastManifest = Date.now();
    }
  }
  const aborted = plan.aborted || done < pending.length;

  const manifest = manifestOf();
  let pruned = 0;
  if (preprocessing.prune && !aborted && previous) {
    const current = new Set(manifest.entries.map((e) => e.file));
    for (const old of previous.entries) {
      if (current.has(old.file) || !/^[^/\\]+\.safetensors$/.test(old.file)) continue;
      const path = join(preprocessing.cacheDir, old.file);
      if (!existsSync(path)) continue;
      await rm(path, { force: true });
      pruned++;
    }
  }
  await writeManifest(preprocessing.cacheDir, manifest);

  const buckets: Record<string, number> = {};
  for (const bucket of preprocessing.buckets) buckets[bucketKey(bucket)] = 0;
  for (const entry of manifest.entries) buckets[bucketKey(entry.bucket)] = (buckets[bucketKey(entry.bucket)] ?? 0) + 1;
  const result: PreprocessResult = {
    ok: failures.length === 0 && !aborted,
    aborted,
    sources: pairs.length,
    entries: manifest.entries.length,
    written: written.length,
    skipped: kept.length,
    failed: failedSources(),
    pruned,
    tempFilesRemoved: tempFiles.length,
    buckets,
    failures,
    ignored,
    warnings: plan.warnings,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    manifestPath: join(preprocessing.cacheDir, MANIFEST_FILE),
    reportPath: join(preprocessing.cacheDir, REPORT_FILE),
  };
  await writePreprocessReport(preprocessing.cacheDir, {
    ...result,
    datasetDir: preprocessing.datasetDir,
    cacheDir: preprocessing.cacheDir,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  });
  return result;
}
