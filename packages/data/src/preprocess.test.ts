import { AutoencoderKL, PixelAutoencoder } from '@dit/encoders';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readCacheEntry } from './cache-entry.js';
import { decodeImage } from './image-io.js';
import { sha256 } from './internals/hash.js';
import { readManifest } from './manifest.js';
import { imagesToTensor } from './pixels.js';
import { preprocess, type PreprocessOptions } from './preprocess.js';
import { formatPreprocessSummary, REPORT_FILE } from './report.js';
import { flipHorizontal, resizeToBucket } from './resize.js';
import { copyFixtures, FIXTURE_BUCKETS, removeTempDirs, tempDir, TEST_BUCKETS } from './test-utils/fixtures.js';
import { poisonEntry } from './test-utils/damage.js';
import { HashTextEncoder } from './test-utils/hash-text-encoder.js';

afterAll(removeTempDirs);

function run(datasetDir: string, cacheDir: string, options: Partial<PreprocessOptions> = {}) {
  return preprocess({
    datasetDir,
    cacheDir,
    textEncoder: new HashTextEncoder(),
    autoencoder: new PixelAutoencoder({ factor: 8 }),
    buckets: TEST_BUCKETS,
    batchSize: 4,
    ...options,
  });
}

async function fixtureDataset(label: string): Promise<string> {
  const dir = await tempDir(label);
  await copyFixtures(dir);
  return dir;
}

/** What an entry's latents must be with PixelAutoencoder: the resized (and mirrored) pixels. */
async function expectedLatents(imagePath: string, bucket: { width: number; height: number }, flipped: boolean, mode: 'stretch' | 'crop' = 'stretch') {
  const resized = await resizeToBucket(await decodeImage(await readFile(imagePath)), { bucket, mode });
  const pixels = imagesToTensor([flipped ? flipHorizontal(resized) : resized]);
  const latents = await new PixelAutoencoder({ factor: 8 }).encode(pixels);
  const data = await latents.data();
  tf.dispose([pixels, latents]);
  return data;
}

describe('preprocess', () => {
  it('caches every fixture and its flipped copy in the nearest bucket, batching the text encoder, leaking no tensors', async () => {
    const datasetDir = await fixtureDataset('pp-data');
    const cacheDir = await tempDir('pp-cache');
    const textEncoder = new HashTextEncoder();
    const progress: number[] = [];
    const before = tf.memory().numTensors;
    const result = await run(datasetDir, cacheDir, { flip: true, textEncoder, onProgress: (p) => progress.push(p.done) });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ ok: true, aborted: false, sources: 8, entries: 16, written: 16, skipped: 0, failed: 0, failures: [] });
    expect(result.buckets).toEqual({ '64x64': 6, '48x80': 6, '80x48': 4 });
    expect(progress).toEqual([4, 8, 12, 16]);
    // 4 calls of 4 entries, each holding two distinct captions (image + flipped copy share one)
    expect(textEncoder.calls.map((c) => c.length)).toEqual([2, 2, 2, 2]);

    const manifest = await readManifest(cacheDir);
    expect(manifest.entries.map((e) => e.file)).toContain('5.flipped.safetensors');
    for (const [key, stems] of Object.entries(FIXTURE_BUCKETS)) {
      for (const stem of stems) {
        const line = manifest.entries.find((e) => e.file === `${stem}.safetensors`)!;
        expect(`${line.bucket.width}x${line.bucket.height}`).toBe(key);
      }
    }
    const portrait = manifest.entries.find((e) => e.file === '5.safetensors')!;
    expect(portrait).toMatchObject({ source: '5.png', flipped: false, latentShape: [192, 10, 6], textShape: [12, 8] });
    expect(portrait.sourceHash).toBe(sha256(await readFile(join(datasetDir, '5.png'))));
    expect(portrait.caption).toBe((await readFile(join(datasetDir, '5.txt'), 'utf8')).trim());
    const files = (await readdir(cacheDir)).sort();
    expect(files.filter((f) => !f.endsWith('.safetensors'))).toEqual(['manifest.json', REPORT_FILE]);
    expect(JSON.parse(await readFile(join(cacheDir, REPORT_FILE), 'utf8'))).toMatchObject({ ok: true, written: 16, datasetDir, cacheDir });
  });

  it('writes entries that decode to the resized pixels, mirrored for flipped copies, with the encoded caption', async () => {
    const datasetDir = await fixtureDataset('pp-rt-data');
    const cacheDir = await tempDir('pp-rt-cache');
    await run(datasetDir, cacheDir, { flip: true, resize: 'crop' });
    for (const [stem, file, bucket] of [['29', '29.png', { width: 80, height: 48 }], ['14', '14.webp', { width: 48, height: 80 }]] as const) {
      for (const flipped of [false, true]) {
        const entry = await readCacheEntry(join(cacheDir, `${stem}${flipped ? '.flipped' : ''}.safetensors`));
        expect(entry.metadata).toMatchObject({ width: bucket.width, height: bucket.height, flipped, source: file, resize: 'crop', autoencoder: 'pixel-f8', textEncoder: 'hash-text-test' });
        expect(Array.from(entry.latents.data)).toEqual(Array.from(await expectedLatents(join(datasetDir, file), bucket, flipped, 'crop')));
        const { embeddings, attentionMask } = await new HashTextEncoder().encode([entry.metadata.caption]);
        expect(Array.from(entry.textEmbeddings.data)).toEqual(Array.from(await embeddings.data()));
        expect(Array.from(entry.attentionMask.data)).toEqual(Array.from(await attentionMask.data()));
        tf.dispose([embeddings, attentionMask]);
      }
    }
  });

  it('skips up-to-date entries on a re-run and redoes stale ones (changed image, caption or settings)', async () => {
    const datasetDir = await fixtureDataset('pp-resume-data');
    const cacheDir = await tempDir('pp-resume-cache');
    expect((await run(datasetDir, cacheDir, { flip: true })).written).toBe(16);
    const untouched = (await stat(join(cacheDir, '1.safetensors'))).mtimeMs;

    expect(await run(datasetDir, cacheDir, { flip: true })).toMatchObject({ ok: true, written: 0, skipped: 16, entries: 16 });
    expect((await stat(join(cacheDir, '1.safetensors'))).mtimeMs).toBe(untouched);

    // a new image under an old name, and an edited caption
    await writeFile(join(datasetDir, '164.png'), await sharp(join(datasetDir, '109.png')).png().toBuffer());
    await writeFile(join(datasetDir, '2.txt'), 'A macro shot of a blue flower.');
    const third = await run(datasetDir, cacheDir, { flip: true });
    expect(third).toMatchObject({ ok: true, written: 4, skipped: 12 });
    const replaced = await readCacheEntry(join(cacheDir, '164.safetensors'));
    expect(replaced.metadata).toMatchObject({ width: 80, height: 48, sourceHash: sha256(await readFile(join(datasetDir, '164.png'))) });
    expect((await readCacheEntry(join(cacheDir, '2.flipped.safetensors'))).metadata.caption).toBe('A macro shot of a blue flower.');
    expect((await stat(join(cacheDir, '1.safetensors'))).mtimeMs).toBe(untouched);

    // other settings make every entry stale; turning flips off removes the mirrored copies
    expect(await run(datasetDir, cacheDir, { flip: true, encodeMode: 'mean' })).toMatchObject({ written: 16, skipped: 0 });
    const noFlip = await run(datasetDir, cacheDir, { flip: false, encodeMode: 'mean' });
    expect(noFlip).toMatchObject({ ok: true, written: 0, skipped: 8, pruned: 8, entries: 8 });
    expect((await readdir(cacheDir)).filter((f) => f.includes('flipped'))).toEqual([]);
  });

  it('resumes an interrupted run, ignores and cleans leftover temp files, redoes a half-copied entry', async () => {
    const datasetDir = await fixtureDataset('pp-abort-data');
    const cacheDir = await tempDir('pp-abort-cache');
    const controller = new AbortController();
    const first = await run(datasetDir, cacheDir, { flip: true, signal: controller.signal, onProgress: (p) => p.done >= 4 && controller.abort() });
    expect(first).toMatchObject({ ok: false, aborted: true, written: 4, entries: 4 });
    expect((await readManifest(cacheDir)).entries).toHaveLength(4);

    // what a kill during a write leaves: a temp sibling; and an entry cut short by a careless copy
    await writeFile(join(cacheDir, '.29.safetensors.4242.lxq0.tmp'), 'half an entry');
    const [cutShort] = (await readManifest(cacheDir)).entries;
    await truncate(join(cacheDir, cutShort.file), 100);

    const second = await run(datasetDir, cacheDir, { flip: true });
    expect(second).toMatchObject({ ok: true, aborted: false, written: 13, skipped: 3, entries: 16, tempFilesRemoved: 1 });
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await readCacheEntry(join(cacheDir, cutShort.file))).metadata.source).toBe(cutShort.source);
  });

  it('reports corrupt images, empty or missing captions, too-small images and name clashes, and carries on', async () => {
    const datasetDir = await tempDir('pp-bad-data');
    const cacheDir = await tempDir('pp-bad-cache');
    await copyFixtures(datasetDir, ['5', '29']);
    await writeFile(join(datasetDir, 'garbage.png'), 'definitely not a PNG');
    await writeFile(join(datasetDir, 'garbage.txt'), 'a caption');
    const png = await readFile(join(datasetDir, '29.png'));
    await writeFile(join(datasetDir, 'cut.png'), png.subarray(0, png.length / 2)); // header fine, pixels missing
    await writeFile(join(datasetDir, 'cut.txt'), 'a caption');
    await writeFile(join(datasetDir, 'silent.png'), png);
    await writeFile(join(datasetDir, 'silent.txt'), '   \n');
    await writeFile(join(datasetDir, 'orphan.png'), png);
    await writeFile(join(datasetDir, 'tiny.png'), await sharp({ create: { width: 12, height: 40, channels: 3, background: '#ff0000' } }).png().toBuffer());
    await writeFile(join(datasetDir, 'tiny.txt'), 'a small red image');
    await writeFile(join(datasetDir, '5.jpg'), await sharp(png).jpeg().toBuffer()); // same stem as 5.png

    const result = await run(datasetDir, cacheDir, { minSize: 32 });
    expect(result).toMatchObject({ ok: false, aborted: false, sources: 8, entries: 2, written: 2, failed: 6 });
    const kinds = Object.fromEntries(result.failures.map((f) => [f.source, f.kind]));
    expect(kinds).toEqual({
      'garbage.png': 'unreadable-image',
      'cut.png': 'unreadable-image',
      'silent.png': 'empty-caption',
      'orphan.png': 'missing-caption',
      'tiny.png': 'too-small',
      '5.png': 'duplicate-name', // 5.jpg comes first in name order and keeps the entry
    });
    const message = (source: string) => result.failures.find((f) => f.source === source)!.message;
    expect(message('garbage.png')).toMatch(/garbage\.png: cannot read image/);
    expect(message('cut.png')).toMatch(/cut\.png: cannot decode image/);
    expect(message('silent.png')).toMatch(/silent\.txt: caption is empty/);
    expect(message('orphan.png')).toBe('orphan.png: no caption file orphan.txt beside it');
    expect(message('tiny.png')).toMatch(/tiny\.png: 12x40 is smaller than minSize 32/);
    expect(message('5.png')).toMatch(/5\.png: its cache entry 5\.safetensors would overwrite the one made from 5\.jpg/);
    const report = JSON.parse(await readFile(result.reportPath, 'utf8'));
    expect(report).toMatchObject({ version: 1, ok: false, failed: 6 });
    expect(report.failures).toEqual(result.failures);
    expect((await readManifest(cacheDir)).entries.map((e) => [e.file, e.source])).toEqual([
      ['5.safetensors', '5.jpg'],
      ['29.safetensors', '29.png'],
    ]);
  });

  it('reports a failing encoder per entry, leaks nothing and keeps the other buckets', async () => {
    const datasetDir = await fixtureDataset('pp-enc-data');
    const pixel = new PixelAutoencoder({ factor: 8 });
    const flaky = Object.assign(Object.create(pixel) as PixelAutoencoder, {
      encode: async (images: tf.Tensor4D) => {
        if (images.shape[3] === 80) throw new Error('out of memory (pretend)');
        return pixel.encode(images);
      },
    });
    const before = tf.memory().numTensors;
    const result = await run(datasetDir, await tempDir('pp-enc-cache'), { autoencoder: flaky });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ ok: false, written: 6, failed: 2 });
    expect(result.failures.map((f) => [f.source, f.kind])).toEqual([
      ['29.png', 'encode-failed'],
      ['109.png', 'encode-failed'],
    ]);
    expect(result.failures[0].message).toMatch(/29\.png: out of memory \(pretend\)/);
  });

  it('writes no entry from an encoder that returns NaN or Inf, naming the image', async () => {
    const datasetDir = await fixtureDataset('pp-nan-enc-data');
    const pixel = new PixelAutoencoder({ factor: 8 });
    // Overflows on the landscape bucket, as a VAE in half precision may.
    const overflowing = Object.assign(Object.create(pixel) as PixelAutoencoder, {
      encode: async (images: tf.Tensor4D) => {
        const latents = await pixel.encode(images);
        if (images.shape[3] !== 80) return latents;
        return tf.tidy(() => tf.div(latents, tf.scalar(0)));
      },
    });
    const cacheDir = await tempDir('pp-nan-enc-cache');
    const result = await run(datasetDir, cacheDir, { autoencoder: overflowing });
    expect(result).toMatchObject({ ok: false, written: 6, failed: 2 });
    expect(result.failures.map((f) => [f.source, f.kind])).toEqual([
      ['29.png', 'encode-failed'],
      ['109.png', 'encode-failed'],
    ]);
    expect(result.failures[0].message).toMatch(/29\.png: the latents of autoencoder pixel-f8 hold \d+ \+Inf and \d+ -Inf of 11520 values \(the first at index \d+\); nothing written$/);
    expect((await readdir(cacheDir)).filter((f) => f.startsWith('29.'))).toEqual([]);
  });

  it('encodes again, and reports, an entry of an earlier run that holds NaN or cannot be read', async () => {
    const datasetDir = await fixtureDataset('pp-damaged-data');
    const cacheDir = await tempDir('pp-damaged-cache');
    expect((await run(datasetDir, cacheDir)).written).toBe(8);
    const good = await readCacheEntry(join(cacheDir, '5.safetensors'));
    await poisonEntry(join(cacheDir, '5.safetensors'), 'latents', Number.NaN, 3);
    await poisonEntry(join(cacheDir, '29.safetensors'), 'textEmbeddings', Infinity);
    await truncate(join(cacheDir, '1.safetensors'), 200);
    const again = await run(datasetDir, cacheDir);
    expect(again).toMatchObject({ ok: true, written: 3, skipped: 5 });
    expect(again.warnings.map((w) => [w.source, w.kind])).toEqual([
      ['1.png', 'damaged-entry'],
      ['5.png', 'damaged-entry'],
      ['29.png', 'damaged-entry'],
    ]);
    expect(again.warnings[1].message).toBe(`${join(cacheDir, '5.safetensors')}: latents hold 1 NaN of 11520 values (the first at index 3); encoded again`);
    expect(again.warnings[2].message).toMatch(/29\.safetensors: text_embeds hold 1 \+Inf of 96 values \(the first at index 0\); encoded again$/);
    expect(again.warnings[0].message).toMatch(/1\.safetensors: unreadable cache entry: .*; encoded again$/);
    expect((await readCacheEntry(join(cacheDir, '5.safetensors'))).latents).toEqual(good.latents);
    expect(formatPreprocessSummary(again)).toContain(`  warning (damaged-entry): ${again.warnings[1].message}`);
  });

  it("draws each entry's posterior sample from its own seed: the same whatever it is batched with, as after a resume", async () => {
    const datasetDir = await fixtureDataset('pp-posterior-data');
    const vae = await AutoencoderKL.fromPretrained(fileURLToPath(new URL('../../encoders/fixtures/vae/tiny', import.meta.url)));
    const buckets = [{ width: 32, height: 32 }, { width: 24, height: 40 }, { width: 40, height: 24 }];
    const latentsOf = async (batchSize: number) => {
      const cacheDir = await tempDir('pp-posterior-cache');
      const result = await run(datasetDir, cacheDir, { autoencoder: vae, buckets, batchSize, encodeMode: 'sample' });
      expect(result.written, JSON.stringify(result.failures[0])).toBe(8);
      const files = (await readdir(cacheDir)).filter((f) => f.endsWith('.safetensors')).sort();
      return Promise.all(files.map(async (file) => [file, Array.from((await readCacheEntry(join(cacheDir, file))).latents.data)] as const));
    };
    const together = await latentsOf(8);
    const alone = await latentsOf(1);
    expect(alone).toEqual(together);
    // The mean takes no noise.
    const mean = await run(datasetDir, await tempDir('pp-posterior-mean'), { autoencoder: vae, buckets, encodeMode: 'mean' });
    expect(mean.written, JSON.stringify(mean.failures[0])).toBe(8);
    vae.dispose();
  });

  it("mirrors about half the images, reproducibly, with flip: 'random' (the original's phase 1)", async () => {
    const datasetDir = await fixtureDataset('pp-random-data');
    const flags = async (seed: number) => {
      const cacheDir = await tempDir('pp-random-cache');
      expect((await run(datasetDir, cacheDir, { flip: 'random', seed })).entries).toBe(8);
      return (await readManifest(cacheDir)).entries.map((e) => e.flipped);
    };
    const seed0 = await flags(0);
    expect(await flags(0)).toEqual(seed0);
    const all = [seed0, await flags(1), await flags(2)].flat();
    expect(all.filter(Boolean).length).toBeGreaterThan(4);
    expect(all.filter((f) => !f).length).toBeGreaterThan(4);
  });

  it('rejects buckets the autoencoder and patch size cannot divide before touching the cache', async () => {
    const cacheDir = join(await tempDir('pp-buckets'), 'cache');
    await expect(run(await fixtureDataset('pp-buckets-data'), cacheDir, { buckets: [{ width: 64, height: 72 }] })).rejects.toThrow(
      'bucket 64x72: height 72 is not divisible by 16 (autoencoder downsample 8 x patch size 2)',
    );
    await expect(stat(cacheDir)).rejects.toThrow(/ENOENT/);
  });

  it('caches or lists every file of an awkward folder, and warns about extreme resizes with their factor', async () => {
    const datasetDir = await fixtureDataset('pp-awkward-data');
    const image = (width: number, height: number, red: number) => sharp({ create: { width, height, channels: 3, background: { r: red, g: 90, b: 40 } } });
    const frames = await Promise.all([10, 200, 90].map((red) => image(16, 16, red).png().toBuffer()));
    const add = async (name: string, bytes: Buffer, caption?: string) => {
      await writeFile(join(datasetDir, name), bytes);
      if (caption) await writeFile(join(datasetDir, name.replace(/\.\w+$/, '.txt')), caption);
    };
    await add('tiny.png', await image(16, 16, 30).png().toBuffer(), 'A tiny picture.');
    await add('panorama.png', await image(800, 8, 60).png().toBuffer(), 'A very wide picture.');
    await add('animated.gif', await sharp(frames, { join: { animated: true } }).gif().toBuffer(), 'An animation.');
    await add('scan.tif', await image(64, 64, 120).tiff().toBuffer(), 'A TIFF scan.');
    await add('old.bmp', Buffer.from('BM not read'), 'A bitmap.');
    await add('orphan.txt', Buffer.from('A caption whose image is gone.'));
    await add('.DS_Store', Buffer.from('finder'));
    await mkdir(join(datasetDir, 'more'));
    await writeFile(join(datasetDir, 'more', 'x.png'), await image(64, 64, 1).png().toBuffer());
    const cacheDir = await tempDir('pp-awkward-cache');
    const result = await run(datasetDir, cacheDir);

    expect(result).toMatchObject({ ok: true, sources: 12, entries: 12, failed: 0 });
    expect(result.warnings.map((w) => [w.source, w.kind, Number(w.factor.toFixed(2))])).toEqual([
      ['animated.gif', 'upscaled', 4],
      ['animated.gif', 'first-frame', 3],
      ['panorama.png', 'upscaled', 6],
      ['panorama.png', 'aspect-distorted', 60],
      ['tiny.png', 'upscaled', 4],
    ]);
    expect(Object.fromEntries(result.ignored.map((f) => [f.file, f.kind]))).toEqual({
      '.DS_Store': 'hidden',
      'more/': 'subfolder',
      'old.bmp': 'unsupported-format',
      'old.txt': 'caption-without-image',
      'orphan.txt': 'caption-without-image',
    });
    const summary = formatPreprocessSummary(result);
    expect(summary[0]).toMatch(/12 images, 12 entries written, 0 up to date, 0 failed, 5 warnings, 5 files not used$/);
    expect(summary).toContain(`  warning (upscaled): ${join(datasetDir, 'tiny.png')}: 16x16 -> 64x64 enlarges it 4.00x (warning above 2x): the cached image is mostly interpolation`);
    expect(summary).toContain(`  not used (unsupported-format): ${join(datasetDir, 'old.bmp')}: .bmp images are not read (formats read: .png, .jpg, .jpeg, .webp, .gif, .tif, .tiff, .avif); convert it, e.g. to PNG`);
    const report = JSON.parse(await readFile(join(cacheDir, REPORT_FILE), 'utf8'));
    expect(report.warnings).toHaveLength(5);
    expect(report.ignored).toHaveLength(5);
    // The TIFF and the GIF's first frame are cached as they look.
    const gif = await readCacheEntry(join(cacheDir, 'animated.safetensors'));
    expect(gif.latents.data[0]).toBeCloseTo(10 / 127.5 - 1, 5);
    expect((await readCacheEntry(join(cacheDir, 'scan.safetensors'))).metadata).toMatchObject({ width: 64, height: 64, originalWidth: 64 });
    // Thresholds are options.
    const relaxed = await run(datasetDir, await tempDir('pp-awkward-relaxed'), { resizeWarnings: { maxUpscale: 10, maxAspectDistortion: 100 } });
    expect(relaxed.warnings.map((w) => w.kind)).toEqual(['first-frame']);
  });

  it('says so when the dataset folder holds no images', async () => {
    const empty = await tempDir('pp-empty');
    await writeFile(join(empty, 'readme.md'), 'no images here');
    await expect(run(empty, join(empty, 'cache'))).rejects.toThrow(
      `preprocess: no images (.png, .jpg, .jpeg, .webp, .gif, .tif, .tiff, .avif) in ${empty}; not used:\n  ${join(empty, 'readme.md')}: neither an image`,
    );
  });
});
