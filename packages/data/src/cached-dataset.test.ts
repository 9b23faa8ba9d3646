import { Rng } from '@dit/core';
import { PixelAutoencoder } from '@dit/encoders';
import * as tf from '@tensorflow/tfjs-core';
import { cp, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BucketBatchSampler } from './bucket-batch-sampler.js';
import { readCacheEntry } from './cache-entry.js';
import { CachedDataset, type Batch } from './cached-dataset.js';
import { preprocess } from './preprocess.js';
import { copyFixtures, removeTempDirs, tempDir, TEST_BUCKETS } from './test-utils/fixtures.js';
import { poisonEntry, reshapeEntry } from './test-utils/damage.js';
import { HashTextEncoder } from './test-utils/hash-text-encoder.js';

let cacheDir: string;

beforeAll(async () => {
  const datasetDir = await tempDir('ds-data');
  await copyFixtures(datasetDir);
  cacheDir = await tempDir('ds-cache');
  const result = await preprocess({ datasetDir, cacheDir, textEncoder: new HashTextEncoder(), autoencoder: new PixelAutoencoder({ factor: 8 }), buckets: TEST_BUCKETS, flip: true });
  expect(result.ok).toBe(true);
});
afterAll(removeTempDirs);

const dispose = (batch: Batch) => tf.dispose([batch.latents, batch.text, batch.attentionMask]);

describe('CachedDataset', () => {
  it('loads one-bucket batches whose tensors match the entries, lazily or from memory', async () => {
    for (const inMemory of [false, true]) {
      const dataset = await CachedDataset.open({ cacheDir, inMemory });
      expect(dataset.size).toBe(16);
      const buckets = dataset.bucketIndices();
      expect(Object.fromEntries([...buckets].map(([k, v]) => [k, v.length]))).toEqual({ '64x64': 6, '48x80': 6, '80x48': 4 });
      const indices = buckets.get('48x80')!.slice(0, 3);
      const before = tf.memory().numTensors;
      const batch = await dataset.loadBatch(indices);
      expect(batch.latents.shape).toEqual([3, 192, 10, 6]);
      expect(batch.text.shape).toEqual([3, 12, 8]);
      expect(batch.attentionMask.shape).toEqual([3, 12]);
      expect(batch.attentionMask.dtype).toBe('int32');
      expect(batch.bucket).toBe('48x80');
      expect(batch.textDropped).toEqual([false, false, false]);
      const entry = await readCacheEntry(join(cacheDir, dataset.entries[indices[1]].file));
      expect(batch.entries[1]).toEqual(entry.metadata);
      expect(Array.from((await batch.latents.data()).slice(entry.latents.data.length, 2 * entry.latents.data.length))).toEqual(Array.from(entry.latents.data));
      expect(Array.from((await batch.text.data()).slice(96, 192))).toEqual(Array.from(entry.textEmbeddings.data));
      dispose(batch);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('zeroes text with the dropout probability, per sample or per batch, reproducibly', async () => {
    const all = await CachedDataset.open({ cacheDir, textDropout: 1 });
    const indices = all.bucketIndices().get('64x64')!;
    const dropped = await all.loadBatch(indices);
    expect(dropped.textDropped.every(Boolean)).toBe(true);
    expect((await dropped.text.data()).every((v) => v === 0)).toBe(true);
    expect((await dropped.attentionMask.data()).some((v) => v === 1)).toBe(true);
    dispose(dropped);

    const half = await CachedDataset.open({ cacheDir, textDropout: 0.5, seed: 5 });
    const sampler = new BucketBatchSampler({ buckets: half.bucketIndices(), batchSize: 2, seed: 5 });
    const flags: boolean[] = [];
    for (const planned of sampler.epochBatches()) {
      const batch = await half.loadBatch(planned);
      const again = await (await CachedDataset.open({ cacheDir, textDropout: 0.5, seed: 5 })).loadBatch(planned);
      expect(again.textDropped).toEqual(batch.textDropped);
      const text = await batch.text.data();
      batch.textDropped.forEach((d, b) => expect(text.slice(b * 96, (b + 1) * 96).every((v) => v === 0)).toBe(d));
      flags.push(...batch.textDropped);
      [batch, again].forEach(dispose);
    }
    expect(flags.filter(Boolean).length).toBeGreaterThan(0);
    expect(flags.filter((f) => !f).length).toBeGreaterThan(0);

    // plain indices draw from the dataset's own stream, which moves on between batches
    const patterns = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const batch = await half.loadBatch(indices);
      patterns.add(batch.textDropped.join());
      dispose(batch);
    }
    expect(patterns.size).toBeGreaterThan(1);

    const perBatch = await CachedDataset.open({ cacheDir, textDropout: 0.5, textDropoutPer: 'batch' });
    for (let i = 0; i < 6; i++) {
      const batch = await perBatch.loadBatch(indices.slice(0, 4), { rng: new Rng(i) });
      expect(new Set(batch.textDropped).size).toBe(1);
      dispose(batch);
    }
  });

  it('applies the latent transform and load-time flips to the latents', async () => {
    const dataset = await CachedDataset.open({ cacheDir, flip: true, latentTransform: { toModel: (x) => tf.tidy(() => tf.add(tf.mul(x, 2), 1)) } });
    const indices = dataset.bucketIndices().get('80x48')!;
    const before = tf.memory().numTensors;
    const batch = await dataset.loadBatch(indices, { rng: new Rng(11) });
    const latents = (await batch.latents.array()) as number[][][][];
    expect(batch.flippedAtLoad.some(Boolean)).toBe(true);
    for (const [b, index] of indices.entries()) {
      const entry = await readCacheEntry(join(cacheDir, dataset.entries[index].file));
      const [, h, w] = entry.latents.shape;
      for (const [c, y, x] of [[0, 0, 0], [5, 2, 1], [191, 5, 9]]) {
        const sourceX = batch.flippedAtLoad[b] ? w - 1 - x : x;
        expect(latents[b][c][y][x]).toBeCloseTo(entry.latents.data[(c * h + y) * w + sourceX] * 2 + 1, 5);
      }
    }
    dispose(batch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads every entry once per epoch through the sampler', async () => {
    const dataset = await CachedDataset.open({ cacheDir, inMemory: true });
    const sampler = new BucketBatchSampler({ buckets: dataset.bucketIndices(), batchSize: 2 });
    const sources: string[] = [];
    for (const planned of sampler.epochBatches()) {
      const batch = await dataset.loadBatch(planned);
      sources.push(...batch.entries.map((e) => `${e.source}${e.flipped ? ' flipped' : ''}`));
      dispose(batch);
    }
    expect(sources).toHaveLength(16);
    expect(new Set(sources).size).toBe(16);
  });

  it('fails with the file name on a corrupt entry, and on batches across buckets', async () => {
    const broken = await tempDir('ds-broken');
    await cp(cacheDir, broken, { recursive: true });
    const dataset = await CachedDataset.open({ cacheDir: broken });
    const victim = dataset.entries[0].file;
    await writeFile(join(broken, victim), 'overwritten by something else');
    await expect(dataset.loadBatch([0])).rejects.toThrow(new RegExp(`${victim.replace('.', '\\.')}: unreadable cache entry`));
    await expect(CachedDataset.open({ cacheDir: broken, inMemory: true })).rejects.toThrow(victim);
    const buckets = dataset.bucketIndices();
    await expect(dataset.loadBatch([buckets.get('64x64')![0], buckets.get('80x48')![0]])).rejects.toThrow(/one bucket, got 64x64, 80x48/);
    await expect(dataset.loadBatch([99])).rejects.toThrow(/index 99\?|out of range/);
    await expect(CachedDataset.open({ cacheDir, textDropout: 2 })).rejects.toThrow(/textDropout must be in \[0, 1\]/);
  });

  it('refuses an entry holding NaN or Inf, naming it, before it reaches a loss', async () => {
    const poisoned = await tempDir('ds-nan');
    await cp(cacheDir, poisoned, { recursive: true });
    const dataset = await CachedDataset.open({ cacheDir: poisoned });
    const victim = dataset.entries[2].file;
    await poisonEntry(join(poisoned, victim), 'latents', Number.NaN, 5);
    const message = `${join(poisoned, victim)}: latents hold 1 NaN of ${dataset.entries[2].latentShape.reduce((a, b) => a * b)} values (the first at index 5); run preprocess again, which encodes damaged entries anew`;
    await expect(dataset.loadBatch([2])).rejects.toThrow(message);
    await expect(CachedDataset.open({ cacheDir: poisoned, inMemory: true })).rejects.toThrow(message);
  });

  it('names every missing, cut-short or reshaped entry at open, before any batch', async () => {
    const damaged = await tempDir('ds-open-check');
    await cp(cacheDir, damaged, { recursive: true });
    const { entries } = await CachedDataset.open({ cacheDir: damaged });
    const [gone, cut, reshaped] = [entries[0].file, entries[3].file, entries[5].file];
    await rm(join(damaged, gone));
    await truncate(join(damaged, cut), 300);
    await reshapeEntry(join(damaged, reshaped));
    const error = (await CachedDataset.open({ cacheDir: damaged }).catch((e: Error) => e)) as Error;
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(`${damaged}: 3 of 16 entries cannot be used; run preprocess again, which encodes damaged entries anew (dit check-cache ${damaged} checks their values too):`);
    expect(lines[1]).toMatch(new RegExp(`^  ${join(damaged, gone)}: unreadable cache entry: .*ENOENT`));
    expect(lines[2]).toMatch(new RegExp(`^  ${join(damaged, cut)}: unreadable cache entry: .*truncated`));
    expect(lines[3]).toMatch(new RegExp(`^  ${join(damaged, reshaped)}: holds latents \\[192, \\d+, \\d+\\] and text \\[12, 8\\], the manifest says`));
    // Opting out leaves the check to each entry's first load.
    expect((await CachedDataset.open({ cacheDir: damaged, checkEntries: false })).size).toBe(16);
  });
});
