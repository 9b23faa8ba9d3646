import { writeJsonAtomic } from '@dit/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from './buckets.js';
import type { CacheSettings } from './cache-settings.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'dit-latent-cache';

/** One cache entry as the manifest lists it. */
export interface ManifestEntry {
  /** Entry file name inside the cache folder. */
  file: string;
  /** Image file, relative to the dataset folder. */
  source: string;
  sourceHash: string;
  captionHash: string;
  caption: string;
  bucket: Bucket;
  flipped: boolean;
  /** `[C, h, w]` */
  latentShape: number[];
  /** `[L, dim]` */
  textShape: number[];
}

/**
 * How an entry's shapes differ from its manifest line ("holds latents [4, 8, 8] and text [16, 64],
 * the manifest says [4, 6, 8] and [16, 64]"), or null when they match.
 */
export function describeShapeMismatch(found: { latentShape: readonly number[]; textShape: readonly number[] }, line: Pick<ManifestEntry, 'latentShape' | 'textShape'>): string | null {
  if (found.latentShape.join() === line.latentShape.join() && found.textShape.join() === line.textShape.join()) return null;
  const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;
  return `holds latents ${show(found.latentShape)} and text ${show(found.textShape)}, the manifest says ${show(line.latentShape)} and ${show(line.textShape)}`;
}

/** `manifest.json`: the settings of the cache and its entries, in file-name order. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  updatedAt: string;
  settings: CacheSettings;
  buckets: Bucket[];
  entries: ManifestEntry[];
}

/** The manifest of a cache folder; throws a message that says what to do when it is missing or broken. */
export async function readManifest(cacheDir: string): Promise<Manifest> {
  const path = join(cacheDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${path}: no manifest; is ${cacheDir} a cache made by preprocess()?`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message}); re-run preprocess() to rebuild it`);
  }
  if (manifest?.format !== MANIFEST_FORMAT || manifest.version !== 1) {
    throw new Error(`${path}: format ${JSON.stringify(manifest?.format)} version ${JSON.stringify(manifest?.version)}, expected '${MANIFEST_FORMAT}' version 1`);
  }
  if (!Array.isArray(manifest.entries)) throw new Error(`${path}: 'entries' is not a list`);
  manifest.entries.forEach((entry, i) => {
    const ok =
      typeof entry?.file === 'string' &&
      Number.isInteger(entry.bucket?.width) &&
      Number.isInteger(entry.bucket?.height) &&
      Array.isArray(entry.latentShape) &&
      entry.latentShape.length === 3 &&
      Array.isArray(entry.textShape) &&
      entry.textShape.length === 2;
    if (!ok) throw new Error(`${path}: entries[${i}] (${JSON.stringify(entry?.file)}) lacks file, bucket, latentShape [C, h, w] or textShape [L, dim]`);
  });
  return manifest;
}

/** The manifest, or null when there is none or it cannot be read (preprocess then rebuilds it). */
export async function tryReadManifest(cacheDir: string): Promise<Manifest | null> {
  try {
    return await readManifest(cacheDir);
  } catch {
    return null;
  }
}

export function writeManifest(cacheDir: string, manifest: Manifest): Promise<void> {
  return writeJsonAtomic(join(cacheDir, MANIFEST_FILE), manifest);
}
