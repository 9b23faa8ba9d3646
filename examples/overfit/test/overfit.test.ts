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

describe('overfit example', () => {
  it('the loss falls on the bundled flower, and the drawn image lands next to the original', async () => {
    const lines: string[] = [];
    // A smaller image, model and a larger step than the example's defaults, to stay fast.
    const config = {
      ...OVERFIT_EXAMPLE_DEFAULTS,
      image,
      outDir: dir,
      steps: 80,
      lr: 5e-3,
      buckets: [{ width: 48, height: 32 }],
      pixelFactor: 4,
      model: { ...OVERFIT_EXAMPLE_DEFAULTS.model, hiddenSize: 64 },
      printEvery: 40,
      sampleSteps: 4,
    };
    const run = await runOverfit(config, (line) => lines.push(line));
    expect(run.losses).toHaveLength(80);
    expect(run.losses.every(Number.isFinite)).toBe(true);
    expect(run.finalLoss).toBeLessThan(0.85 * run.firstLoss);
    expect(lines.filter((line) => /^step +\d+ +loss/.test(line)).map((line) => Number(/step +(\d+)/.exec(line)![1]))).toEqual([1, 40, 80]);
    expect(run.caption).toBe(readFileSync(image.replace('.png', '.txt'), 'utf8').trim());
    for (const file of [run.files.original, run.files.reconstruction]) expect(await sharp(file).metadata()).toMatchObject({ width: 48, height: 32 });
    expect(existsSync(run.files.comparison)).toBe(true);
    expect(readFileSync(run.files.losses, 'utf8').split('\n')[0]).toBe('step,loss');
  });
});
