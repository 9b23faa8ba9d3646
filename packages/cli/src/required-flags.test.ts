import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './errors.js';
import { runCli } from './main.js';
import { capture } from './test-capture.js';

// Every command run with only its required flags: each option the user leaves out is `undefined`
// in the options object, and must take its default rather than crash. The encoders' defaults are
// Hugging Face models, so the runs that need one name offline stand-ins (`random:tiny`, `pixel:8`)
// and a separate test shows the literal command failing with a clear message when offline.

let dir: string;
const dataset = () => join(dir, 'dataset');
const cache = () => join(dir, 'cache');
const smallCache = () => join(dir, 'small-cache');
const run = () => join(dir, 'run');

/** A flat-coloured image with a caption; `width`/`height` in pixels. */
async function captionedImage(stem: string, width: number, height: number, shade: number): Promise<void> {
  const pixels = Buffer.alloc(width * height * 3).map((_, i) => (shade * 29 + (i % 3) * 80 + Math.floor(i / (3 * width)) * 3) % 256);
  await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toFile(join(dataset(), `${stem}.png`));
  await writeFile(join(dataset(), `${stem}.txt`), `a test image number ${stem}`);
}

async function cli(args: string[]) {
  const captured = capture();
  const code = await runCli(args, captured.io);
  return { code, out: captured.out.join('\n'), err: captured.err.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-required-'));
  await mkdir(dataset());
  // A square and a panorama: two default buckets, neither with the default batch of 8.
  await captionedImage('0', 32, 32, 0);
  await captionedImage('wide', 64, 32, 7);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('every command with only its required flags', () => {
  it('preprocess: the first command of docs/cli.md (default buckets, max length, seed, batch size...)', async () => {
    const result = await cli(['preprocess', '--dataset', dataset(), '--cache', cache(), '--text-encoder', 'random:tiny', '--vae', 'pixel:8']);
    expect(result.err).not.toMatch(/Cannot read properties/);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toMatch(/2 images, 2 entries written/);
    expect(result.out).toMatch(/\[512x512\]:\s+1 entries/);
    expect(result.out).toMatch(/\[640x384\]:\s+1 entries/);
  });

  it('preprocess with literally --dataset and --cache: the default hub encoders, offline, fail with a clear message', async () => {
    const saved = { offline: process.env.HF_HUB_OFFLINE, hubCache: process.env.HF_HUB_CACHE };
    process.env.HF_HUB_OFFLINE = '1';
    process.env.HF_HUB_CACHE = join(dir, 'empty-hub-cache');
    try {
      const result = await cli(['preprocess', '--dataset', dataset(), '--cache', join(dir, 'cache-hub')]);
      expect(result.code, result.err).toBe(EXIT.failure);
      expect(result.err).toMatch(/^error: google\/t5gemma-2-1b-1b: not in the Hugging Face cache .*HF_HUB_OFFLINE is set/);
    } finally {
      for (const [key, value] of [['HF_HUB_OFFLINE', saved.offline], ['HF_HUB_CACHE', saved.hubCache]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('stats', async () => {
    const result = await cli(['stats', cache()]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toMatch(/^2 entries, \d+ latent values/);
  });

  it('check-cache (the autoencoder comes from the entry)', async () => {
    const result = await cli(['check-cache', join(cache(), '0.safetensors')]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(existsSync(join(cache(), '0.check.png'))).toBe(true);
    expect((await sharp(join(cache(), '0.check.png')).metadata()).width).toBe(512);
  });

  it('train: the original schedule and batch size, checked against the cache before the model is built', async () => {
    const result = await cli(['train', '--cache', cache(), '--out', join(dir, 'run-defaults')]);
    expect(result.code, result.err).toBe(EXIT.usage);
    // (train first says which backend it chose; the error is the last line)
    expect(result.err.split('\n').at(-1)).toBe(
      "error: --batch-size 8: schedule[0] ('mse-flip'): BucketBatchSampler: no bucket holds a full batch of 8 (512x512: 1, 640x384: 1); lower --batch-size, or add images to a bucket",
    );
  });

  it('sample (from a cached entry), plot, info, doctor', async () => {
    // A run that is quick to train and sample: 64x64 images, the tiny preset.
    expect((await cli(['preprocess', '--dataset', dataset(), '--cache', smallCache(), '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64'])).code).toBe(EXIT.ok);
    const trained = await cli(['train', '--cache', smallCache(), '--out', run(), '--preset', 'tiny', '--epochs', '3', '--batch-size', '2', '--no-progress']);
    expect(trained.code).toBe(EXIT.ok);

    // sample writes to ./samples by default: run it from the test's folder.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const sampled = await cli(['sample', '--model', run(), '--entry', join(smallCache(), '0.safetensors')]);
      expect(sampled.code, sampled.err).toBe(EXIT.ok);
    } finally {
      process.chdir(cwd);
    }
    expect(readdirSync(join(dir, 'samples')).filter((f) => f.endsWith('.png'))).toHaveLength(1);

    const plotted = await cli(['plot', run()]);
    expect(plotted.code).toBe(EXIT.ok);
    expect(existsSync(join(run(), 'report', 'loss.png'))).toBe(true);

    for (const path of [cache(), run(), join(run(), 'final'), join(cache(), '0.safetensors')]) {
      const info = await cli(['info', path]);
      expect(info.code, path).toBe(EXIT.ok);
      expect(info.out.length).toBeGreaterThan(0);
    }
    const doctor = await cli(['doctor']);
    expect(doctor.code).toBe(EXIT.ok);
    expect(doctor.out).toMatch(/backend/);
  });
});
