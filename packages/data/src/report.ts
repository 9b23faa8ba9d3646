import { writeJsonAtomic } from '@dit/core';
import { join } from 'node:path';
import type { IgnoredFile } from './discover.js';

/** Why a source image produced no cache entry. */
export type FailureKind =
  | 'missing-caption'
  | 'empty-caption'
  | 'unreadable-caption'
  | 'unreadable-image'
  | 'too-small'
  | 'duplicate-name'
  | 'encode-failed'
  | 'write-failed';

/** One line of the report's `warnings`: an image was cached, but maybe not as the user expects. */
export interface PreprocessWarning {
  /** The image file, relative to the dataset folder. */
  source: string;
  /**
   * 'upscaled', 'aspect-distorted', 'cropped': an extreme resize; 'first-frame': one frame of an
   * animation was kept; 'damaged-entry': the entry of an earlier run could not be read or held
   * NaN or Inf, and was encoded again.
   */
  kind: 'upscaled' | 'aspect-distorted' | 'cropped' | 'first-frame' | 'damaged-entry';
  /** The size of the effect: upscale factor, aspect distortion, cropped fraction, frame count; 1 for a damaged entry. */
  factor: number;
  /** A sentence naming the file, the effect and its size. */
  message: string;
}

/** One line of the preprocess report. */
export interface PreprocessFailure {
  /** The image file, relative to the dataset folder. */
  source: string;
  kind: FailureKind;
  /** A sentence naming the file and the problem. */
  message: string;
}

/** A problem with one source, reported and skipped rather than ending the run. */
export class SourceError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export interface PreprocessCounts {
  /** Image files found. */
  sources: number;
  /** Entries in the cache after the run (written + skipped). */
  entries: number;
  written: number;
  /** Entries already up to date. */
  skipped: number;
  /** Sources that produced no entry. */
  failed: number;
  /** Entries of an earlier run removed because their source is gone, failed or changed name. */
  pruned: number;
  /** Temporary files of an interrupted run removed. */
  tempFilesRemoved: number;
}

/** What `preprocess` returns and writes to `preprocess-report.json`. */
export interface PreprocessResult extends PreprocessCounts {
  /** True when every source produced its entries and the run was not aborted. */
  ok: boolean;
  aborted: boolean;
  /** Entries per bucket key ('512x512'), flipped copies included. */
  buckets: Record<string, number>;
  failures: PreprocessFailure[];
  /** Every other file and folder of the dataset folder, with why it is not used (hidden files, subfolders, lone captions, other formats). */
  ignored: IgnoredFile[];
  /** Images cached, but worth a look: extreme upscales, stretches or crops, animations of which one frame was kept. */
  warnings: PreprocessWarning[];
  seconds: number;
  manifestPath: string;
  reportPath: string;
}

export const REPORT_FILE = 'preprocess-report.json';

export async function writePreprocessReport(
  cacheDir: string,
  report: PreprocessResult & { datasetDir: string; cacheDir: string; startedAt: string; finishedAt: string },
): Promise<void> {
  await writeJsonAtomic(join(cacheDir, REPORT_FILE), { version: 1, ...report });
}

/** Human-readable lines for a command line: counts, the bucket table, every failure, warning and file left out. */
export function formatPreprocessSummary(result: PreprocessResult): string[] {
  const lines = [
    `${result.aborted ? 'aborted' : 'done'} in ${result.seconds.toFixed(1)} s: ${result.sources} images, ` +
      `${result.written} entries written, ${result.skipped} up to date, ${result.failed} failed` +
      (result.pruned ? `, ${result.pruned} stale removed` : '') +
      (result.warnings.length ? `, ${result.warnings.length} warnings` : '') +
      (result.ignored.length ? `, ${result.ignored.length} files not used` : ''),
  ];
  const total = Object.values(result.buckets).reduce((a, b) => a + b, 0);
  for (const [key, count] of Object.entries(result.buckets)) {
    lines.push(`  [${key}]: ${String(count).padStart(5)} entries (${((100 * count) / Math.max(total, 1)).toFixed(1)}%)`);
  }
  for (const failure of result.failures) lines.push(`  error (${failure.kind}): ${failure.message}`);
  for (const warning of result.warnings) lines.push(`  warning (${warning.kind}): ${warning.message}`);
  for (const file of result.ignored) lines.push(`  not used (${file.kind}): ${file.message}`);
  return lines;
}
