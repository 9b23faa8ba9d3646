import { PixelAutoencoder } from '@dit/encoders';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { BUCKET_BATCH_SAMPLER_DEFAULTS, BucketBatchSampler } from './bucket-batch-sampler.js';
import { DEFAULT_BUCKETS, GENERATE_BUCKETS_DEFAULTS, generateBuckets } from './buckets.js';
import { CACHED_DATASET_DEFAULTS, CachedDataset } from './cached-dataset.js';
import { DISCOVER_PAIRS_DEFAULTS, discoverPairs } from './discover.js';
import { DECODE_IMAGE_DEFAULTS, decodeImage, imageSize } from './image-io.js';
import { PREPROCESS_DEFAULTS, preprocess } from './preprocess.js';
import { copyFixtures, FIXTURE_DIR, removeTempDirs, tempDir } from './test-utils/fixtures.js';
import { HashTextEncoder } from './test-utils/hash-text-encoder.js';

afterAll(removeTempDirs);

/** Every field of a defaults object, given as `undefined` (what a command line passes for an unset flag). */
const allUndefined = (defaults: object) => Object.fromEntries(Object.keys(defaults).map((key) => [key, undefined]));

// An option given as `undefined` means "not given": each function resolving defaults behaves
// exactly as if the field were missing (a plain `{ ...DEFAULTS, ...options }` did not).
describe('options given as undefined take their defaults', () => {
  it('preprocess (the default buckets, as `dit preprocess` without --buckets)', async () => {
    const datasetDir = await tempDir('undef-data');
    await copyFixtures(datasetDir, ['1', '29']);
    const cacheDir = await tempDir('undef-cache');
    const result = await preprocess({
      datasetDir,
      cacheDir,
      textEncoder: new HashTextEncoder(),
      autoencoder: new PixelAutoencoder({ factor: 8 }),
      ...allUndefined(PREPROCESS_DEFAULTS),
      imageExtensions: undefined,
      captionExtensions: undefined,
    });
    expect(result.ok).toBe(true);
    expect(Object.keys(result.buckets)).toEqual(DEFAULT_BUCKETS.map((b) => `${b.width}x${b.height}`));
  });

  it('discoverPairs, decodeImage, imageSize', async () => {
    const pairs = await discoverPairs({ datasetDir: FIXTURE_DIR, ...allUndefined(DISCOVER_PAIRS_DEFAULTS) });
    expect(pairs).toEqual(await discoverPairs({ datasetDir: FIXTURE_DIR }));
    expect(pairs.length).toBe(8);
    // Transparent red pixels (alpha 'drop' keeps the red) in a file rotated by EXIF (autoOrient swaps the sides).
    const raw = { width: 3, height: 2, channels: 4 } as const;
    const bytes = await sharp(Buffer.from(new Uint8Array(3 * 2 * 4).map((_, i) => (i % 4 === 0 ? 255 : 0))), { raw })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const decoded = await decodeImage(bytes, allUndefined(DECODE_IMAGE_DEFAULTS));
    expect(decoded).toEqual(await decodeImage(bytes));
    expect([decoded.width, decoded.height, decoded.data[0]]).toEqual([2, 3, 255]);
    expect(await imageSize(bytes, allUndefined(DECODE_IMAGE_DEFAULTS))).toEqual({ width: 2, height: 3, frames: 1 });
    await expect(imageSize(Buffer.from('junk'), allUndefined(DECODE_IMAGE_DEFAULTS))).rejects.toThrow(/^image: cannot read image/);
  });

  it('generateBuckets and BucketBatchSampler', () => {
    expect(generateBuckets(allUndefined(GENERATE_BUCKETS_DEFAULTS))).toEqual(generateBuckets());
    const buckets = { a: [0, 1, 2, 3, 4, 5, 6, 7, 8], b: [9, 10] };
    const sampler = new BucketBatchSampler({ buckets, ...allUndefined(BUCKET_BATCH_SAMPLER_DEFAULTS) });
    expect(sampler.batchSize).toBe(8);
    expect(sampler.batchesForEpoch(3)).toEqual(new BucketBatchSampler({ buckets }).batchesForEpoch(3));
  });

  it('CachedDataset.open', async () => {
    const datasetDir = await tempDir('undef-ds-data');
    await copyFixtures(datasetDir, ['1', '103']);
    const cacheDir = await tempDir('undef-ds-cache');
    await preprocess({ datasetDir, cacheDir, textEncoder: new HashTextEncoder(), autoencoder: new PixelAutoencoder({ factor: 8 }), buckets: [{ width: 16, height: 16 }] });
    const dataset = await CachedDataset.open({ cacheDir, ...allUndefined(CACHED_DATASET_DEFAULTS) });
    const batch = await dataset.loadBatch([0, 1]);
    expect(batch.textDropped).toEqual([false, false]);
    expect(batch.flippedAtLoad).toEqual([false, false]);
    batch.latents.dispose();
    batch.text.dispose();
    batch.attentionMask.dispose();
  });
});
