import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@dit/core';
import { PixelAutoencoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint/load.js';
import { Ema, EMA_DEFAULTS } from './ema.js';
import { ADAMW_DEFAULTS, AdamW } from './optim/adamw.js';
import { TRAIN_DEFAULTS } from './options.js';
import { overfit, OVERFIT_DEFAULTS } from './overfit.js';
import { originalSchedule, scaleSchedule } from './phases.js';
import { flowerDataset, flowerEntries, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train } from './trainer.js';
import { VALIDATION_DEFAULTS } from './validation.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-undefined-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every field of a defaults object, given as `undefined` (what a command line passes for an unset flag). */
const allUndefined = (defaults: object) => Object.fromEntries(Object.keys(defaults).map((key) => [key, undefined]));

// An option given as `undefined` means "not given": each of these resolves it to its default
// (a plain `{ ...DEFAULTS, ...options }` let the undefined through).
describe('options given as undefined take their defaults', () => {
  it('AdamW and Ema', () => {
    const variables = new Map([['w', tf.variable(tf.ones([2]))]]);
    expect(new AdamW(variables, allUndefined(ADAMW_DEFAULTS)).options).toEqual(ADAMW_DEFAULTS);
    const ema = new Ema(variables, allUndefined(EMA_DEFAULTS));
    expect(ema.decay).toBe(EMA_DEFAULTS.decay);
    ema.dispose();
    tf.dispose([...variables.values()]);
  });

  it('train (and its validation and recorded optimizer settings)', async () => {
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 1 });
    const outputDir = join(root, 'train');
    const result = await train({
      model,
      dataset: await flowerDataset({ size: 8 }),
      schedule: scaleSchedule(originalSchedule, { epochs: 3 }),
      outputDir,
      ...allUndefined(TRAIN_DEFAULTS),
      progress: false,
      logger: silentLogger,
      optimizer: { kind: undefined },
      validation: { autoencoder: new PixelAutoencoder(), ...allUndefined(VALIDATION_DEFAULTS), steps: 2 },
    });
    expect(result.status).toBe('completed');
    // Validation ran at the end (every: 5 by default is past the last epoch) on entry 0.
    expect(readdirSync(join(outputDir, 'samples')).sort()).toEqual(['epoch_0002_ema_entry0.png', 'epoch_0002_raw_entry0.png']);
    const state = await readCheckpointState(result.checkpoint!);
    expect(state.config.training.optimizer).toEqual({ kind: 'adamw' });
    expect(state.config.training.maxGradNorm).toBe(TRAIN_DEFAULTS.maxGradNorm);
    model.dispose();
  });

  it('overfit (and its sampling settings)', async () => {
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, depth: 1, seed: 0 });
    const [entry] = await flowerEntries({ size: 8, count: 1 });
    const result = await overfit({ model, entry, ...allUndefined(OVERFIT_DEFAULTS), steps: 2, sampling: { ...allUndefined(OVERFIT_DEFAULTS.sampling), steps: 2 } });
    expect(result.losses).toHaveLength(2);
    expect(Number.isFinite(result.sampleError)).toBe(true);
    result.sample.dispose();
    model.dispose();
  });
});
