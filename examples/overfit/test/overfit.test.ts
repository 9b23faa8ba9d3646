import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OVERFIT_EXAMPLE_DEFAULTS } from '../src/overfit-config.js';
import { runOverfit } from '../src/run-overfit.js';

const image = fileURLToPath(new URL('../data/29.png', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-example-overfit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Mean of the squares, in [-1, 1] pixel units (the example's latents), of 8-bit RGB `a` minus `b` (or of `a` alone). */
function meanSquare(a: Buffer, b?: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] / 127.5 - 1 - (b ? b[i] / 127.5 - 1 : 0)) ** 2;
  return sum / a.length;
}

describe('overfit example', () => {
  it('learns the bundled flower and draws it back from noise', async () => {
    const lines: string[] = [];
    // A smaller image and model than the example's defaults, to stay fast: 24x16 pixels folded
    // 2x2 into 12 channels, one block. 300 steps bring the sample error to about 0.2 of the
    // image's mean square on wasm (seeds 0-2; measured 0.19-0.22).
    const config = {
      ...OVERFIT_EXAMPLE_DEFAULTS,
      image,
      outDir: dir,
      steps: 300,
      lr: 5e-3,
      buckets: [{ width: 24, height: 16 }],
      pixelFactor: 2,
      model: { ...OVERFIT_EXAMPLE_DEFAULTS.model, hiddenSize: 64, depth: 1 },
      printEvery: 150,
      sampleSteps: 4,
    };
    const run = await runOverfit(config, (line) => lines.push(line));
    expect(run.losses).toHaveLength(300);
    expect(run.losses.every(Number.isFinite)).toBe(true);
    expect(run.finalLoss).toBeLessThan(0.5 * run.firstLoss);
    expect(lines.filter((line) => /^step +\d+ +loss/.test(line)).map((line) => Number(/step +(\d+)/.exec(line)![1]))).toEqual([1, 150, 300]);
    expect(run.caption).toBe(readFileSync(image.replace('.png', '.txt'), 'utf8').trim());

    // The drawn sample is that flower: its error is well under the image's own mean square,
    // which an image of zeros would score (1x) and an untrained model's noise about 4.5x.
    const original = await sharp(run.files.original).raw().toBuffer();
    const drawn = await sharp(run.files.reconstruction).raw().toBuffer();
    const imageMeanSquare = meanSquare(original);
    expect(run.sampleError).toBeLessThan(0.4 * imageMeanSquare);
    // The PNG the pipeline decoded shows it too (clamped to [-1, 1] and rounded to 8 bits).
    expect(meanSquare(drawn, original)).toBeLessThan(0.4 * imageMeanSquare);
    expect(meanSquare(drawn, original)).toBeCloseTo(run.sampleError, 1);
    for (const file of [run.files.original, run.files.reconstruction]) expect(await sharp(file).metadata()).toMatchObject({ width: 24, height: 16 });
    expect(existsSync(run.files.comparison)).toBe(true);
    expect(readFileSync(run.files.losses, 'utf8').split('\n')[0]).toBe('step,loss');
  });
});
