import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, silentLogger } from '@dit/core';
import { SingleStreamDiTV2 } from '@dit/model';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint } from './checkpoint/list.js';
import { readCheckpointState } from './checkpoint/load.js';
import { NonFiniteError } from './errors.js';
import { InMemoryDataset, type InMemoryEntry } from './in-memory-dataset.js';
import { originalSchedule, scaleSchedule } from './phases.js';
import { flowerEntries, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train } from './trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-nan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let poisoned: InMemoryDataset;
beforeAll(async () => {
  const entries: InMemoryEntry[] = await flowerEntries({ size: 8 });
  const latents = entries[5].latents as { data: Float32Array; shape: number[] };
  latents.data[7] = Number.NaN;
  poisoned = new InMemoryDataset(entries);
});

const schedule = scaleSchedule(originalSchedule, { epochs: 3 });

describe('non-finite loss', () => {
  it("'stop' checkpoints the state before the step (finite weights) and names the step and phase", async () => {
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 4 });
    const outputDir = join(root, 'stop');
    let lastGood = new Map<string, Float32Array>(model.namedVariables().map(({ name, variable }) => [name, variable.dataSync().slice() as Float32Array]));
    const attempt = train({
      model,
      dataset: poisoned,
      schedule,
      outputDir,
      batchSize: 4,
      logger: silentLogger,
      progress: false,
      onStep: () => {
        lastGood = new Map(model.namedVariables().map(({ name, variable }) => [name, variable.dataSync().slice() as Float32Array]));
      },
    });
    const error = (await attempt.catch((e: unknown) => e)) as NonFiniteError;
    expect(error).toBeInstanceOf(NonFiniteError);
    // The batch's inputs are checked before the learning rate is blamed: entry 5 is named.
    expect(error.message).toMatch(
      /^non-finite loss \(NaN\) at step \d+ \(epoch 0, batch \d\) in phase 'mse-flip'; the batch's inputs hold NaN or Inf: entry 5 \(latents\); that is the data, not the learning rate: .*; saved the state before this step \(its weights are finite\) to .*checkpoints\S*; resume with resume: true once the data is repaired$/,
    );
    expect(error.message).not.toMatch(/learning rate$/);
    expect(error.details.inputs).toEqual(['entry 5']);
    // The state before the failed step is a checkpoint that resume finds, named as every other (even before the first epoch ends).
    expect((await latestCheckpoint(join(outputDir, 'checkpoints')))?.path).toBe(error.details.checkpoint);
    expect(basename(error.details.checkpoint!)).toMatch(/^epoch-\d{4}-step-\d{7}$/);
    const state = await readCheckpointState(error.details.checkpoint);
    expect(state.reason).toBe('non-finite');
    expect(state.position.globalStep).toBe(error.details.step - 1);
    // The checkpoint holds the weights before the failed step (in PyTorch layout, hence the transpose check by name).
    const saved = await readAllTensors(join(error.details.checkpoint, 'model.safetensors'));
    const bias = 'blocks.0.qkv.bias';
    expect(saved.tensors.get(bias)!.data).toEqual(lastGood.get(bias));
    model.dispose();
  });

  it("'skip' skips and counts the bad steps and finishes with finite weights", async () => {
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 4 });
    const outputDir = join(root, 'skip');
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (line: string) => void warnings.push(line) };
    const result = await train({ model, dataset: poisoned, schedule, outputDir, batchSize: 4, nonFinite: 'skip', logger, progress: false });
    expect(warnings.filter((line) => /update skipped .*; the batch's inputs hold NaN or Inf: entry 5 \(latents\)/.test(line))).toHaveLength(3);
    // One of the two batches of every epoch holds the poisoned entry.
    expect(result.skippedSteps).toBe(3);
    expect(result.position.globalStep).toBe(6);
    for (const { variable } of model.namedVariables()) expect(tf.all(tf.isFinite(variable)).dataSync()[0]).toBe(1);
    const records = readFileSync(join(outputDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'step');
    expect(records.filter((r) => r.skipped).length).toBe(3);
    expect(readFileSync(join(outputDir, 'log.csv'), 'utf8').split('\n').filter((row) => row.includes(',nan,')).length).toBe(3);
    const strict = train({ model, dataset: poisoned, schedule, outputDir: join(root, 'skip-limit'), batchSize: 4, nonFinite: 'skip', maxSkippedSteps: 1, logger: silentLogger, progress: false });
    await expect(strict).rejects.toThrow(/more than maxSkippedSteps 1 skipped/);
    model.dispose();
  });

  it('finite inputs and weights: the step itself overflowed, and the learning rate is named', async () => {
    const entries: InMemoryEntry[] = await flowerEntries({ size: 8 });
    // Finite, but far too large for float32 once multiplied through the network.
    const latents = entries[2].latents as { data: Float32Array };
    latents.data.fill(3e37);
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 4 });
    const error = (await train({ model, dataset: new InMemoryDataset(entries), schedule, outputDir: join(root, 'overflow'), batchSize: 4, logger: silentLogger, progress: false }).catch(
      (e: unknown) => e,
    )) as NonFiniteError;
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error.message).toMatch(
      /; the batch's inputs and the weights are finite, so the step itself overflowed; saved the state before this step \(its weights are finite\) to .*; resume with resume: true \(the batch is drawn again with new noise\), or lower the learning rate$/,
    );
    expect(error.details.inputs).toEqual([]);
    model.dispose();
  });
});
