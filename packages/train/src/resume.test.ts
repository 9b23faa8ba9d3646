import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@dit/core';
import { presets, SingleStreamDiTV2 } from '@dit/model';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointMismatchError } from './checkpoint/load.js';
import type { InMemoryDataset } from './in-memory-dataset.js';
import { originalSchedule, scaleSchedule } from './phases.js';
import { flowerDataset, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train, type TrainResult } from './trainer.js';
import type { TrainOptions } from './options.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dataset: InMemoryDataset;
beforeAll(async () => {
  dataset = await flowerDataset({ size: 8 });
});

// 4 epochs over three phases (2 + 1 + 1), 2 steps an epoch: 8 steps, EMA in the last phase.
const schedule = scaleSchedule(originalSchedule, { epochs: 4 });

function options(outputDir: string, model: SingleStreamDiTV2, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { model, dataset, schedule, outputDir, batchSize: 4, seed: 11, checkpointEvery: 2, logger: silentLogger, progress: false, ...extra };
}

async function weightsOf(model: SingleStreamDiTV2): Promise<Map<string, Float32Array>> {
  return new Map(await Promise.all(model.namedVariables().map(async ({ name, variable }) => [name, (await variable.data()) as Float32Array] as const)));
}

describe('resume', () => {
  it('N steps, stop, resume, and the rest give the same weights, EMA and logs as a straight run', async () => {
    const straightModel = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 5 });
    const straight = await train(options(join(root, 'straight'), straightModel));
    expect(straight.position.globalStep).toBe(8);

    // Stop mid-epoch (after step 3: epoch 1, batch 1) and again after step 6 (phase 2 -> 3 boundary).
    const dir = join(root, 'stopped');
    const results: TrainResult[] = [];
    for (const stopAfter of [3, 6, Infinity]) {
      // Resumed runs get a model with other weights: everything must come from the checkpoint.
      const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: results.length === 0 ? 5 : 100 + results.length });
      const controller = new AbortController();
      const result = await train(
        options(dir, model, {
          resume: results.length > 0,
          signal: controller.signal,
          onStep: (step) => {
            if (step.step === stopAfter) controller.abort();
          },
        }),
      );
      results.push(result);
      if (stopAfter === Infinity) {
        const [got, want] = [await weightsOf(model), await weightsOf(straightModel)];
        for (const [name, values] of want) expect(got.get(name), name).toEqual(values);
      }
      model.dispose();
    }
    expect(results.map((r) => [r.status, r.position.globalStep, r.position.epoch, r.position.batch])).toEqual([
      ['interrupted', 3, 1, 1],
      ['interrupted', 6, 3, 0],
      ['completed', 8, 4, 0],
    ]);
    // log.csv was continued, not restarted: identical to the straight run's, row for row.
    expect(readFileSync(join(dir, 'log.csv'), 'utf8')).toBe(readFileSync(join(root, 'straight', 'log.csv'), 'utf8'));
    expect(readFileSync(join(results[2].finalDir!, 'model.safetensors'))).toEqual(readFileSync(join(straight.finalDir!, 'model.safetensors')));
    straightModel.dispose();
  });

  it('refuses to overwrite a run without resume, and a checkpoint of another architecture', async () => {
    const dir = join(root, 'refuse');
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 1 });
    const oneEpoch = scaleSchedule(originalSchedule, { epochs: 3 }).slice(0, 1);
    await train(options(dir, model, { schedule: oneEpoch }));
    await expect(train(options(dir, model, { schedule: oneEpoch }))).rejects.toThrow(/already holds checkpoints .* pass resume: true/);
    const other = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, hiddenSize: 32, numHeads: 2, seed: 1 });
    const attempt = train(options(dir, other, { schedule: oneEpoch, resume: true }));
    await expect(attempt).rejects.toThrow(CheckpointMismatchError);
    await expect(attempt).rejects.toThrow(/hiddenSize: checkpoint 64, model 32\n\s+numHeads: checkpoint 4, model 2/);
    model.dispose();
    other.dispose();
    expect(presets.tiny.hiddenSize).toBe(64);
  });
});
