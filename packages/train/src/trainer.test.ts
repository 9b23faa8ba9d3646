import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, Rng, silentLogger } from '@dit/core';
import { PixelAutoencoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_LOG_HEADER } from './logs/csv-log.js';
import type { InMemoryDataset } from './in-memory-dataset.js';
import { originalSchedule, scaleSchedule } from './phases.js';
import { flowerDataset, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train, type TrainResult } from './trainer.js';
import { validationNoise } from './validation.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-trainer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dataset: InMemoryDataset;
beforeAll(async () => {
  dataset = await flowerDataset({ size: 8 });
});

const schedule = scaleSchedule(originalSchedule, { epochs: 3 });

describe('train', () => {
  it('runs the scaled three-phase schedule: logs, samples, checkpoints, EMA result', async () => {
    const before = tf.memory().numTensors;
    const outputDir = join(root, 'full');
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 3 });
    const phases: string[] = [];
    const samples: string[] = [];
    const result: TrainResult = await train({
      model,
      dataset,
      schedule,
      outputDir,
      batchSize: 4,
      checkpointEvery: 1,
      keepLast: 2,
      validation: { autoencoder: new PixelAutoencoder(), every: 1, steps: 4 },
      logger: silentLogger,
      progress: false,
      onPhase: (info) => void phases.push(info.phase),
      onSample: (info) => void samples.push(`${info.epoch}/${info.kind}`),
    });
    expect(result.status).toBe('completed');
    expect(result.position.globalStep).toBe(6);
    expect(phases).toEqual(schedule.map((p) => p.name));
    // Validation after epochs 1 and 2 (not 0, as the original); EMA samples once the EMA exists (phase 3).
    expect(samples).toEqual(['1/raw', '2/raw', '2/ema']);
    expect(readdirSync(join(outputDir, 'samples')).sort()).toEqual(['epoch_0001_raw_entry0.png', 'epoch_0002_ema_entry0.png', 'epoch_0002_raw_entry0.png']);
    const csv = readFileSync(join(outputDir, 'log.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(CSV_LOG_HEADER);
    expect(csv.slice(1).map((row) => row.split(',').slice(0, 2).join(','))).toEqual(['0,1', '0,2', '1,3', '1,4', '2,5', '2,6']);
    // One LR per epoch, each phase's cosine starting at its lrStart (SPEC section 6).
    expect(csv.slice(1).map((row) => Number(row.split(',')[3]))).toEqual([1e-4, 1e-4, 5e-5, 5e-5, 5e-5, 5e-5]);
    const steps = readFileSync(join(outputDir, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((r) => r.type === 'step');
    expect(steps).toHaveLength(6);
    for (const step of steps) {
      expect(step.gradNorm).toBeGreaterThan(0);
      expect(step.binLoss).toHaveLength(10);
      expect(step.imagesPerSecond).toBeGreaterThan(0);
    }
    expect(readdirSync(join(outputDir, 'checkpoints'))).toEqual(['epoch-0001-step-0000004', 'epoch-0002-step-0000006']);
    // The result is the EMA weights (phase 3 has an EMA), not the trained ones.
    const final = await readAllTensors(join(result.finalDir!, 'model.safetensors'));
    const ema = await readAllTensors(join(result.checkpoint!, 'ema.safetensors'));
    const raw = await readAllTensors(join(result.checkpoint!, 'model.safetensors'));
    expect(final.tensors.get('blocks.0.qkv.weight')!.data).toEqual(ema.tensors.get('blocks.0.qkv.weight')!.data);
    expect(final.tensors.get('blocks.0.qkv.weight')!.data).not.toEqual(raw.tensors.get('blocks.0.qkv.weight')!.data);
    expect(existsSync(join(result.finalDir!, 'config.json'))).toBe(true);
    // final/ is a pipeline folder: the parts (no text encoder with an in-memory dataset), the last phase's normalisation.
    expect(JSON.parse(readFileSync(join(result.finalDir!, 'pipeline.json'), 'utf8'))).toMatchObject({
      textEncoder: null,
      autoencoder: 'pixel:1',
      latentNormalization: schedule[2].latentNorm,
      sampling: { width: dataset.entries[0].latentShape[2], height: dataset.entries[0].latentShape[1] },
    });
    // Loaded as a pipeline, it draws the last validation sample (EMA weights, its fixed noise) again, pixel for pixel.
    const pipe = await DiTPipeline.fromPretrained(result.finalDir!);
    const { text, latents, attentionMask } = await dataset.loadBatch({ epoch: 0, position: 0, bucket: '', indices: [0] }, { flip: false, textDropout: 0, rng: new Rng(0) });
    const [, channels, height, width] = latents.shape;
    const noise = validationNoise({ seed: 0, index: 0, channels, height, width });
    const { images } = await pipe.generate({ promptEmbeds: text, latents: noise, steps: 4, sampler: 'euler', guidanceScale: 1 });
    tf.dispose([text, latents, noise, ...(attentionMask ? [attentionMask] : [])]);
    pipe.dispose();
    const validated = await sharp(join(outputDir, 'samples', 'epoch_0002_ema_entry0.png')).raw().toBuffer();
    expect(Buffer.from(images[0].data).equals(validated)).toBe(true);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accumulating micro-batches (with gradient checkpointing) trains like whole batches', async () => {
    const run = async (name: string, extra: { microBatch?: number; gradientCheckpointing?: boolean }) => {
      const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 8 });
      const result = await train({ model, dataset, schedule: schedule.slice(0, 1), outputDir: join(root, name), batchSize: 4, logger: silentLogger, progress: false, ...extra });
      const weights = await Promise.all(model.namedVariables().map(async ({ variable }) => (await variable.data()).slice()));
      const checkpointingAfter = model.gradientCheckpointing;
      model.dispose();
      return { result, weights, checkpointingAfter };
    };
    const whole = await run('whole', {});
    const micro = await run('micro', { microBatch: 1, gradientCheckpointing: true });
    expect(whole.result.memoryPlan).toMatchObject({ microBatch: 4, checkpointing: false });
    expect(micro.result.memoryPlan).toMatchObject({ microBatch: 1, checkpointing: true });
    // The model's own setting is restored afterwards.
    expect(micro.checkpointingAfter).toBe(false);
    let worst = 0;
    let moved = 0;
    whole.weights.forEach((values, i) => values.forEach((v, j) => ((worst = Math.max(worst, Math.abs(v - micro.weights[i][j]))), (moved = Math.max(moved, Math.abs(v))))));
    expect(worst).toBeLessThan(1e-5);
    expect(moved).toBeGreaterThan(0);
    // Adam hides gradient scale, so compare what does not: the loss and the gradient norm of each step.
    const stepsOf = (name: string) => readFileSync(join(root, name, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'step');
    const [a, b] = [stepsOf('whole'), stepsOf('micro')];
    expect(a).toHaveLength(2);
    a.forEach((step, i) => {
      expect(b[i].loss).toBeCloseTo(step.loss, 5);
      expect(b[i].gradNorm / step.gradNorm).toBeCloseTo(1, 4);
    });
  });
});
