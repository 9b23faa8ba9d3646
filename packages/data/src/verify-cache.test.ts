import { PixelAutoencoder } from '@dit/encoders';
import { rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { preprocess } from './preprocess.js';
import { cacheStatistics } from './statistics.js';
import { copyFixtures, removeTempDirs, tempDir, TEST_BUCKETS } from './test-utils/fixtures.js';
import { poisonEntry, reshapeEntry } from './test-utils/damage.js';
import { HashTextEncoder } from './test-utils/hash-text-encoder.js';
import { formatVerifyCache, verifyCache } from './verify-cache.js';

afterAll(removeTempDirs);

let datasetDir: string;
let cacheDir: string;
beforeEach(async () => {
  datasetDir = await tempDir('verify-data');
  await copyFixtures(datasetDir, ['1', '2', '5', '29']);
  cacheDir = await tempDir('verify-cache');
  const result = await preprocess({ datasetDir, cacheDir, textEncoder: new HashTextEncoder(), autoencoder: new PixelAutoencoder({ factor: 8 }), buckets: TEST_BUCKETS });
  expect(result.ok).toBe(true);
});

describe('verifyCache', () => {
  it('passes a sound cache', async () => {
    const result = await verifyCache(cacheDir);
    expect(result).toMatchObject({ entries: 4, ok: true, problems: [], notes: [] });
    expect(formatVerifyCache(result)).toEqual([`${cacheDir}: 4 entries, all read whole, match manifest.json and hold only finite values`]);
  });

  it('names every damaged entry: NaN latents, Inf text, cut short, missing, wrong shape', async () => {
    await poisonEntry(join(cacheDir, '1.safetensors'), 'latents', Number.NaN, 7);
    await poisonEntry(join(cacheDir, '2.safetensors'), 'textEmbeddings', Infinity);
    const cut = join(cacheDir, '5.safetensors');
    await truncate(cut, (await stat(cut)).size - 100);
    await reshapeEntry(join(cacheDir, '29.safetensors'));
    const result = await verifyCache(cacheDir);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => [p.file, p.kind])).toEqual([
      ['1.safetensors', 'non-finite'],
      ['2.safetensors', 'non-finite'],
      ['5.safetensors', 'unreadable'],
      ['29.safetensors', 'shape'],
    ]);
    const lines = formatVerifyCache(result);
    expect(lines[0]).toBe(`${cacheDir}: 4 of 4 entries damaged; run preprocess again, which encodes damaged entries anew`);
    expect(lines[1]).toBe(`  error (non-finite): ${join(cacheDir, '1.safetensors')}: latents hold 1 NaN of 12288 values (the first at index 7)`);
    expect(lines[2]).toBe(`  error (non-finite): ${join(cacheDir, '2.safetensors')}: text_embeds hold 1 +Inf of 96 values (the first at index 0)`);
    expect(lines[3]).toMatch(new RegExp(`^  error \\(unreadable\\): ${join(cacheDir, '5.safetensors')}: unreadable cache entry: `));
    expect(lines[4]).toBe(`  error (shape): ${join(cacheDir, '29.safetensors')}: holds latents [192, 5, 10] and text [12, 8], the manifest says [192, 6, 10] and [12, 8]`);

    await rm(join(cacheDir, '1.safetensors'));
    await writeFile(join(cacheDir, 'stray.safetensors'), 'x');
    const again = await verifyCache(cacheDir);
    expect(again.problems[0]).toMatchObject({ file: '1.safetensors', kind: 'unreadable' });
    expect(again.problems[0].message).toMatch(/1\.safetensors: unreadable cache entry: .*(ENOENT|no such file)/);
    expect(again.notes).toEqual([`${join(cacheDir, 'stray.safetensors')}: not listed in manifest.json, so training does not read it`]);
  });

  it('a manifest that cannot be read is an error naming it', async () => {
    await writeFile(join(cacheDir, 'manifest.json'), '{"format": "dit-latent-cache", "version": 1, "entr');
    await expect(verifyCache(cacheDir)).rejects.toThrow(`${join(cacheDir, 'manifest.json')}: not valid JSON`);
  });
});

describe('cacheStatistics on a damaged cache', () => {
  it('names every entry with NaN or Inf instead of printing "mean NaN"', async () => {
    await poisonEntry(join(cacheDir, '1.safetensors'), 'latents', Number.NaN, 7);
    await poisonEntry(join(cacheDir, '29.safetensors'), 'textEmbeddings', -Infinity, 3);
    await expect(cacheStatistics(cacheDir)).rejects.toThrow(
      `${cacheDir}: 2 of 4 entries are damaged, so the statistics would be meaningless; run preprocess again, which encodes damaged entries anew:\n` +
        `  ${join(cacheDir, '1.safetensors')}: latents hold 1 NaN of 12288 values (the first at index 7)\n` +
        `  ${join(cacheDir, '29.safetensors')}: text_embeds hold 1 -Inf of 96 values (the first at index 3)`,
    );
  });
});
