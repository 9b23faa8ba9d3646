import { silentLogger } from '@dit/core';
import { CachedDataset, preprocess } from '@dit/data';
import { PixelAutoencoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Phase } from './phases.js';
import { FLOWERS_DIR, HashTextEncoder, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train } from './trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training from a @dit/data cache', () => {
  it('uses mirrored cache entries only in flip phases and decodes validation samples', async () => {
    const cacheDir = join(root, 'cache');
    const autoencoder = new PixelAutoencoder({ factor: 2 });
    // The original's three bucket shapes at 1/32 scale; cache-time flips double the entries.
    await preprocess({
      datasetDir: FLOWERS_DIR,
      cacheDir,
      textEncoder: new HashTextEncoder(),
      autoencoder,
      buckets: [{ width: 16, height: 16 }, { width: 12, height: 20 }, { width: 20, height: 12 }],
      flip: true,
    });
    const dataset = await CachedDataset.open({ cacheDir, inMemory: true });
    expect(dataset.size).toBe(16);
    const schedule: Phase[] = [
      { name: 'with-flips', epochs: [0, 0], loss: 'mse', lr: 1e-4, flip: true, ema: false, textDropout: 0.25 },
      { name: 'without', epochs: [1, 1], loss: 'l1', lr: 5e-5, flip: false, latentNorm: { offset: 0.3 }, ema: 0.999, textDropout: 0.1 },
    ];
    const steps: Record<string, number> = {};
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, inChannels: 12, seed: 0 });
    const result = await train({
      model,
      dataset,
      schedule,
      outputDir: join(root, 'run'),
      batchSize: 2,
      validation: { autoencoder, every: 1, steps: 3, entries: [0, 5] },
      logger: silentLogger,
      progress: false,
      onStep: (step) => void (steps[step.phase] = (steps[step.phase] ?? 0) + 1),
    });
    // Buckets hold 3 + 3 + 2 images: with their mirrored copies 6 + 6 + 4 -> 8 batches of 2; without, 1 + 1 + 1.
    expect(steps).toEqual({ 'with-flips': 8, without: 3 });
    expect(result.memoryPlan.largest).toEqual({ height: 8, width: 8 });
    expect(readdirSync(join(root, 'run', 'samples')).sort()).toEqual(['epoch_0001_ema_entry0.png', 'epoch_0001_ema_entry5.png', 'epoch_0001_raw_entry0.png', 'epoch_0001_raw_entry5.png']);
    model.dispose();
  });
});
