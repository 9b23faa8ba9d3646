import { PixelAutoencoder } from '@dit/encoders';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheLatents } from './cache-entry.js';
import { readManifest, type Manifest } from './manifest.js';
import { preprocess } from './preprocess.js';
import { cacheStatistics, formatCacheStatistics } from './statistics.js';
import { copyFixtures, removeTempDirs, tempDir, TEST_BUCKETS } from './test-utils/fixtures.js';
import { HashTextEncoder } from './test-utils/hash-text-encoder.js';

let cacheDir: string;
let manifest: Manifest;
const scalingFactor = 0.5;

beforeAll(async () => {
  const datasetDir = await tempDir('stats-data');
  await copyFixtures(datasetDir);
  cacheDir = await tempDir('stats-cache');
  const result = await preprocess({
    datasetDir,
    cacheDir,
    textEncoder: new HashTextEncoder(),
    autoencoder: new PixelAutoencoder({ factor: 4, scalingFactor }),
    buckets: TEST_BUCKETS,
    flip: true,
  });
  expect(result.ok).toBe(true);
  manifest = await readManifest(cacheDir);
});
afterAll(removeTempDirs);

/** Plain float64 two-pass over a list of numbers, unbiased. */
function direct(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, std };
}

describe('cacheStatistics', () => {
  it('matches a direct computation globally, per channel and per bucket, and mirrors the original outputs', async () => {
    const stats = await cacheStatistics(cacheDir);
    const all: number[] = [];
    const channels: number[][] = Array.from({ length: 48 }, () => []);
    const buckets: Record<string, number[]> = {};
    const entryMeans: number[] = [];
    const entryStds: number[] = [];
    for (const entry of manifest.entries) {
      const { data, shape } = await readCacheLatents(join(cacheDir, entry.file));
      const values = Array.from(data);
      const plane = shape[1] * shape[2];
      values.forEach((v, i) => channels[Math.floor(i / plane)].push(v));
      all.push(...values);
      (buckets[`${entry.bucket.width}x${entry.bucket.height}`] ??= []).push(...values);
      const { mean, std } = direct(values);
      entryMeans.push(mean);
      entryStds.push(std);
    }
    const global = direct(all);
    expect(stats.entries).toBe(16);
    expect(stats.count).toBe(all.length);
    expect(stats.mean).toBeCloseTo(global.mean, 10);
    expect(stats.std).toBeCloseTo(global.std, 10);
    expect(stats.min).toBe(all.reduce((a, b) => Math.min(a, b)));
    expect(stats.max).toBe(all.reduce((a, b) => Math.max(a, b)));
    expect(stats.perChannel).toHaveLength(48);
    stats.perChannel.forEach((c, i) => {
      const expected = direct(channels[i]);
      expect(c.mean).toBeCloseTo(expected.mean, 10);
      expect(c.std).toBeCloseTo(expected.std, 10);
    });
    expect(Object.keys(stats.perBucket).sort()).toEqual(['48x80', '64x64', '80x48']);
    for (const [key, values] of Object.entries(buckets)) {
      expect(stats.perBucket[key].count).toBe(values.length);
      expect(stats.perBucket[key].mean).toBeCloseTo(direct(values).mean, 10);
      expect(stats.perBucket[key].std).toBeCloseTo(direct(values).std, 10);
    }
    expect(stats.perBucket['80x48'].entries).toBe(4);
    expect(stats.original.meanOfEntryMeans).toBeCloseTo(entryMeans.reduce((a, b) => a + b) / 16, 10);
    expect(stats.original.meanOfEntryStds).toBeCloseTo(entryStds.reduce((a, b) => a + b) / 16, 10);
    expect(stats.scalingFactor).toBe(scalingFactor);
    expect(stats.suggested.std).toBe(stats.std);
    expect(stats.suggested.offset).toBe(-stats.mean);
    expect(stats.suggested.scale * stats.std).toBeCloseTo(1, 12);
    expect(stats.suggested.scalingFactor).toBeCloseTo(scalingFactor / stats.std, 12);
    // the suggested normalisation really gives unit std, and the centred offset zero mean
    const normalised = direct(all.map((v) => v / stats.suggested.std + stats.suggested.centredOffset));
    expect(normalised.std).toBeCloseTo(1, 10);
    expect(normalised.mean).toBeCloseTo(0, 10);
    expect(formatCacheStatistics(stats).join('\n')).toMatch(/suggested normalisation x = latent \/ std \+ offset: std = \d\.\d{6}, offset = -?\d\.\d{6}/);
  });

  it('reports progress, and names a cache without a manifest', async () => {
    const seen: number[] = [];
    await cacheStatistics(cacheDir, { onProgress: (done) => seen.push(done) });
    expect(seen).toHaveLength(16);
    await expect(cacheStatistics(await tempDir('stats-empty'))).rejects.toThrow(/no manifest; is .* a cache made by preprocess\(\)\?/);
  });
});
