import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bucket } from '../buckets.js';

/** Eight downscaled flower images with captions (see fixtures/README.md). */
export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/flowers/', import.meta.url));

/** The original's buckets divided by 8: same aspect ratios, tiny latents with PixelAutoencoder({ factor: 8 }). */
export const TEST_BUCKETS: Bucket[] = [
  { width: 64, height: 64 },
  { width: 48, height: 80 },
  { width: 80, height: 48 },
];

/** Fixture stems by expected bucket. */
export const FIXTURE_BUCKETS: Record<string, string[]> = {
  '64x64': ['1', '103', '164'],
  '48x80': ['2', '5', '14'],
  '80x48': ['29', '109'],
};

const made: string[] = [];

export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dit-data-${label}-`));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Copies the fixture pairs (all, or those whose stems are given) into `dir`. */
export async function copyFixtures(dir: string, stems?: readonly string[]): Promise<void> {
  for (const name of await readdir(FIXTURE_DIR)) {
    const stem = name.slice(0, name.lastIndexOf('.'));
    if (!stems || stems.includes(stem)) await copyFile(join(FIXTURE_DIR, name), join(dir, name));
  }
}
