import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, readCacheLatents, readManifest, resizeToBucket } from '@dit/data';
import { CACHE_TOOLS_DEFAULTS, runCacheTools, type CacheToolsResult } from '../src/run-cache-tools.js';

const dataDir = fileURLToPath(new URL('../data/', import.meta.url));
let dir: string;
let result: CacheToolsResult;
const lines: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-example-cache-tools-'));
  result = await runCacheTools({ ...CACHE_TOOLS_DEFAULTS, dataDir, outDir: dir }, (line) => lines.push(line));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cache-tools example', () => {
  it('caches the five bundled flowers (png, jpg, webp) and reports their statistics', async () => {
    expect(result.stats.entries).toBe(5);
    expect(Object.values(result.stats.perBucket).reduce((n, b) => n + b.entries, 0)).toBe(5);
    expect(JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')).suggested).toEqual(result.stats.suggested);
    expect(lines.join('\n')).toMatch(/suggested normalisation x = latent \/ std \+ offset/);
    expect(lines.some((line) => /channel \d+:/.test(line))).toBe(false);
  });

  it('the suggested normalisation makes the cached latents zero-mean with unit std', async () => {
    const { std, offset } = result.normalisation;
    let sum = 0;
    let squares = 0;
    let count = 0;
    for (const entry of (await readManifest(result.cacheDir)).entries) {
      const { data } = await readCacheLatents(join(result.cacheDir, entry.file));
      for (const value of data) {
        const x = value / std + offset;
        sum += x;
        squares += x * x;
        count += 1;
      }
    }
    const mean = sum / count;
    expect(Math.abs(mean)).toBeLessThan(1e-6);
    expect(Math.sqrt((squares - count * mean * mean) / (count - 1))).toBeCloseTo(1, 6);
  });

  it('decodes every entry to the resized source image, through the normalisation, within rounding', async () => {
    expect(result.checks).toHaveLength(5);
    for (const check of result.checks) {
      expect(check.roundTripError).toBeLessThan(1e-5);
      expect(check.warnings).toEqual([]);
      const source = await decodeImage(await readFile(join(dataDir, check.metadata.source)));
      const expected = await resizeToBucket(source, { bucket: { width: check.width, height: check.height } });
      const decoded = await sharp(check.outPath).raw().toBuffer();
      expect(decoded.length).toBe(expected.data.length);
      expect(Math.max(...decoded.map((v, i) => Math.abs(v - expected.data[i])))).toBeLessThanOrEqual(1);
    }
    expect((await sharp(result.grid).metadata()).format).toBe('png');
  });
});
