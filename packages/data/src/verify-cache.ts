import { isTempFileName, Progress } from '@dit/core';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeNonFiniteEntry, readCacheEntry } from './cache-entry.js';
import { cacheSettingsKey } from './cache-settings.js';
import { describeShapeMismatch, MANIFEST_FILE, readManifest } from './manifest.js';
import { REPORT_FILE } from './report.js';

/** What is wrong with one entry of a cache. */
export interface CacheProblem {
  /** Entry file name inside the cache folder. */
  file: string;
  /**
   * 'unreadable': the file is missing, cut short or not a cache entry; 'shape': its tensors do not
   * have the shapes the manifest lists; 'settings': it was made under other settings than the
   * manifest's; 'non-finite': its latents or text embeddings hold NaN or Inf.
   */
  kind: 'unreadable' | 'shape' | 'settings' | 'non-finite';
  /** A sentence naming the file and the problem. */
  message: string;
}

export interface VerifyCacheResult {
  cacheDir: string;
  /** Entries the manifest lists, all of them read. */
  entries: number;
  /** True when every entry reads, matches the manifest and holds only finite values. */
  ok: boolean;
  problems: CacheProblem[];
  /** Harmless findings: entry files the manifest does not list, temporary files of an interrupted run. */
  notes: string[];
}

export interface VerifyCacheOptions {
  /** Progress line on stderr. Default false. */
  showProgress?: boolean;
}

/**
 * Reads every entry a cache's manifest lists, whole: each must read, have the shapes the manifest
 * lists, carry the manifest's settings and hold no NaN or Inf in its latents or text embeddings.
 * Every problem is named by entry; a manifest that cannot be read throws (the cache has no list
 * to check against).
 */
export async function verifyCache(cacheDir: string, options: VerifyCacheOptions = {}): Promise<VerifyCacheResult> {
  const manifest = await readManifest(cacheDir);
  const settingsKey = cacheSettingsKey(manifest.settings);
  const problems: CacheProblem[] = [];
  const progress = options.showProgress ? new Progress('check-cache', manifest.entries.length, { unit: 'entry' }) : null;
  for (const line of manifest.entries) {
    const path = join(cacheDir, line.file);
    progress?.tick();
    let entry;
    try {
      entry = await readCacheEntry(path);
    } catch (error) {
      problems.push({ file: line.file, kind: 'unreadable', message: (error as Error).message });
      continue;
    }
    const mismatch = describeShapeMismatch({ latentShape: entry.latents.shape, textShape: entry.textEmbeddings.shape }, line);
    if (mismatch) {
      problems.push({ file: line.file, kind: 'shape', message: `${path}: ${mismatch}` });
      continue;
    }
    if (entry.metadata.settings !== settingsKey) {
      problems.push({ file: line.file, kind: 'settings', message: `${path}: made under other settings than the manifest's (${entry.metadata.settings})` });
      continue;
    }
    const nonFinite = describeNonFiniteEntry(entry);
    if (nonFinite) problems.push({ file: line.file, kind: 'non-finite', message: `${path}: ${nonFinite}` });
  }
  const listed = new Set(manifest.entries.map((line) => line.file));
  const notes: string[] = [];
  for (const name of (await readdir(cacheDir)).sort()) {
    if (listed.has(name) || name === MANIFEST_FILE || name === REPORT_FILE) continue;
    if (isTempFileName(name)) notes.push(`${join(cacheDir, name)}: a temporary file of an interrupted run (the next preprocess removes it)`);
    else if (name.endsWith('.safetensors')) notes.push(`${join(cacheDir, name)}: not listed in ${MANIFEST_FILE}, so training does not read it`);
  }
  return { cacheDir, entries: manifest.entries.length, ok: problems.length === 0, problems, notes };
}

/** Lines for a command line: the verdict, then every problem and note. */
export function formatVerifyCache(result: VerifyCacheResult): string[] {
  const lines = [
    result.ok
      ? `${result.cacheDir}: ${result.entries} entries, all read whole, match ${MANIFEST_FILE} and hold only finite values`
      : `${result.cacheDir}: ${result.problems.length} of ${result.entries} entries damaged; run preprocess again, which encodes damaged entries anew`,
  ];
  for (const problem of result.problems) lines.push(`  error (${problem.kind}): ${problem.message}`);
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return lines;
}
