import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors } from '@dit/core';
import { imageSize } from '@dit/data';
import { SingleStreamDiTV2 } from '@dit/model';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlowersArgs } from '../src/cli-args.js';
import { runFlowersThreePhase } from '../src/run.js';

const fixtures = fileURLToPath(new URL('../../../packages/data/fixtures/flowers', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'dit-flowers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** flowers-200's shape from the 8 fixtures: 25 copies each, numbered 1..200 (75 square, 75 portrait, 50 landscape). */
function twoHundredFlowers(): string {
  const dir = join(scratch, 'flowers-200');
  mkdirSync(dir);
  const sources = readdirSync(fixtures).filter((name) => name.endsWith('.txt')).map((name) => name.slice(0, -4));
  let n = 0;
  for (let copy = 0; copy < 25; copy++) {
    for (const stem of sources) {
      n++;
      const image = readdirSync(fixtures).find((name) => name.startsWith(`${stem}.`) && !name.endsWith('.txt'))!;
      copyFileSync(join(fixtures, image), join(dir, `${n}${extname(image)}`));
      copyFileSync(join(fixtures, `${stem}.txt`), join(dir, `${n}.txt`));
    }
  }
  return dir;
}

describe('flowers-three-phase --dry-run', () => {
  it('plans the original run: 1201 epochs of 24 steps in three phases, batch 8 at 512 px within 16 GB', async () => {
    const dataset = twoHundredFlowers();
    const out = join(scratch, 'dry-run');
    const lines: string[] = [];
    // No timing: even one block of this model takes tens of seconds a step on wasm (the tiny
    // scale's dry run below times its steps).
    const args = ['--', '--dataset', dataset, '--out', out, '--dry-run', '--time-budget', '0'];
    const result = await runFlowersThreePhase({ ...(parseFlowersArgs(args) as object), dataset, log: (line) => lines.push(line) });

    expect(result.status).toBe('dry-run');
    expect(existsSync(out)).toBe(false); // a dry run writes nothing
    const { plan } = result;
    expect(plan.dataset.images).toBe(200);
    expect(plan.dataset.perBucket.map((b) => [`${b.bucket.width}x${b.bucket.height}`, b.images])).toEqual([
      ['512x512', 75],
      ['384x640', 75],
      ['640x384', 50],
    ]);
    expect(plan.totalEpochs).toBe(1201);
    // 9 + 9 + 6 full batches of 8 an epoch; the original's log ends at Global_Step 28824.
    expect(plan.phases.map((p) => p.stepsPerEpoch)).toEqual([24, 24, 24]);
    expect(plan.totalSteps).toBe(28824);
    expect(plan.phases.map((p) => [p.name, p.epochs, p.loss, p.flip, p.ema, p.textDropout, p.latentNorm])).toEqual([
      ['mse-flip', [0, 600], 'mse', true, false, 0.25, { std: 1, offset: 0 }],
      ['l1-offset', [601, 900], 'l1', false, false, 0.1, { std: 1, offset: 0.3077 }],
      ['l1-normalised-ema', [901, 1200], 'l1', false, 0.999, 0.1, { std: 1.1908, offset: 0.3077 }],
    ]);
    expect(plan.phases[0].lr).toBe('cosine 1e-4 -> 5e-5 per epoch');
    expect(plan.model.config).toMatchObject({ hiddenSize: 1024, depth: 12, numHeads: 16, textDim: 1152, textLength: 256, inChannels: 4 });

    // Batch 8 at 512 px (64x64 latents) with AdamW moments and the EMA: one micro-batch, no
    // checkpointing, within the 16 GB budget; the wasm heap cannot hold it.
    const gpu = plan.memory.gpu.plan!;
    expect(gpu).toMatchObject({ microBatch: 8, checkpointing: false, budgetBytes: 16e9, limit: 'budget', largest: { height: 64, width: 64 } });
    expect(gpu.peakBytes).toBeGreaterThan(8 * 2 ** 30);
    expect(gpu.peakBytes).toBeLessThan(16e9);
    // On WebGPU tfjs-webgpu's buffer pool comes on top: still one micro-batch of 8 within 16 GB
    // (without checkpointing with @dit's WebGPU kernels, the default; with it on tfjs' generic ones).
    expect(plan.memory.webgpu.plan).toMatchObject({ microBatch: 8, limit: 'budget' });
    expect(plan.memory.webgpu.plan!.peakBytes).toBeGreaterThan(gpu.peakBytes);
    expect(plan.memory.webgpu.plan!.peakBytes).toBeLessThan(16e9);
    if (plan.memory.here?.backend === 'wasm') {
      expect(plan.memory.here.plan).toBeNull();
      expect(plan.memory.here.error).toMatch(/wasm backend's heap/);
    } else {
      // A native backend (DIT_BACKEND=node) has no heap cap: the same plan as the GPU's.
      expect(plan.memory.here?.plan).toMatchObject({ microBatch: 8, checkpointing: false, limit: 'budget' });
    }

    expect(plan.time).toBeNull();
    const text = lines.join('\n');
    expect(text).toContain('schedule: 3 phases, 1201 epochs, 28,824 steps');
    expect(text).toMatch(/on a GPU with tfjs-node-gpu: fits\. memory: estimated peak 1\d\.\d\d GiB/);
    expect(text).toMatch(/on a GPU with WebGPU \(tfjs-webgpu buffer pool included\): fits\. memory: estimated peak \d+\.\d\d GiB per training step on webgpu \(latents 64x64, batch 8 as 1 x micro-batch 8/);
    expect(text).toContain('~14 s an epoch on an RTX 5060 Ti 16 GB');

    // The schedule as the original's log recorded it: phase 1 in two runs, same step count.
    const logged = await runFlowersThreePhase({ dataset, out, dryRun: true, schedule: 'as-logged', timeBudget: 0, log: () => {} });
    expect(logged.plan.phases.map((p) => [p.name, p.epochs, p.lr])).toEqual([
      ['mse-flip-a', [0, 300], 'cosine 2e-4 -> 1e-5 per epoch (T_max 300)'],
      ['mse-flip-b', [301, 600], 'cosine 1e-4 -> 1e-5 per epoch (T_max 300)'],
      ['l1-offset', [601, 900], 'cosine 5e-5 -> 1e-5 per epoch (T_max 300)'],
      ['l1-normalised-ema', [901, 1200], 'cosine 5e-5 -> 1e-5 per epoch (T_max 300)'],
    ]);
    expect(logged.plan.totalSteps).toBe(28824);
  });
});

describe('flowers-three-phase --scale tiny --dry-run', () => {
  it('times real training steps on this backend: the time per epoch and of the whole schedule', async () => {
    const lines: string[] = [];
    const result = await runFlowersThreePhase({ dataset: fixtures, out: join(scratch, 'tiny-plan'), scale: 'tiny', batchSize: 2, dryRun: true, timeBudget: 120, log: (line) => lines.push(line) });
    const time = result.plan.time!;
    const { measurement, bucket } = time.timing;
    // The fixtures: 3 square, 3 portrait, 2 landscape; the first most populated bucket is timed.
    expect(bucket).toEqual({ width: 64, height: 64 });
    expect(measurement).toMatchObject({ backend: tf.getBackend(), method: 'full' });
    expect(measurement.runs.at(-1)).toMatchObject({ depth: 4, batch: 2 });
    expect(time.stepSeconds[0].seconds).toBe(measurement.secondsPerStep);
    // 1 + 1 + 1 steps an epoch at batch 2; each phase's epoch is the sum of its steps.
    const epoch = time.stepSeconds.reduce((sum, s) => sum + s.seconds, 0);
    for (const phase of time.perPhase) expect(phase.secondsPerEpoch).toBeCloseTo(epoch, 9);
    expect(time.totalSeconds).toBeCloseTo(epoch * result.plan.totalEpochs, 9);
    const text = lines.join('\n');
    expect(text).toContain(`time on ${tf.getBackend()}, from training steps timed here at 64x64:`);
    expect(text).toMatch(/measured: [\d.]+ s a step \(batch 2, 16x16 latents, 4 blocks, 1 timed after a warm-up\)/);
    expect(text).toMatch(/ {2}mse-flip {12}[\d.]+s an epoch/);
    expect(text).toMatch(/all 6 epochs: [\d.]+s on /);
  });
});

describe('flowers-three-phase --scale tiny', () => {
  it('caches, trains three phases (stopped and resumed), validates, generates and reports', async () => {
    const out = join(scratch, 'tiny');
    const options = {
      dataset: fixtures,
      out,
      scale: 'tiny' as const,
      epochs: 6, // scaled as the original's 600/300/300: epochs 0-2, 3-4, 5
      batchSize: 2, // 3 full batches an epoch from the fixtures' 3 + 3 + 2 images
      validateEvery: 100, // only after the last epoch
      validationSteps: 4,
      prompts: ['A macro shot of a red poppy, natural daylight.', 'A close-up of a pink lotus flower, natural sunlight.'],
      sampleSteps: 3,
      progress: false,
    };

    // First run: stopped by the signal in the middle of phase 2, as Ctrl-C would.
    const stop = new AbortController();
    const first: string[] = [];
    const stopped = await runFlowersThreePhase({
      ...options,
      signal: stop.signal,
      log: (line) => {
        first.push(line);
        if (line.startsWith('epoch 3 ')) stop.abort();
      },
    });
    expect(stopped.status).toBe('interrupted');
    expect(stopped.checkpoint).toMatch(/epoch-0003-step-0000012$/);
    expect(first.join('\n')).toMatch(/run the same command with --resume/);
    expect(existsSync(join(out, 'final'))).toBe(false);
    expect(readdirSync(join(out, 'cache')).filter((f) => f.endsWith('.safetensors'))).toHaveLength(8);

    // Second run: --resume skips the up-to-date cache (no text encoder load) and finishes.
    const second: string[] = [];
    const result = await runFlowersThreePhase({ ...options, resume: true, log: (line) => second.push(line) });
    expect(result.status).toBe('completed');
    const log = second.join('\n');
    expect(log).toContain('8 up to date');
    expect(log).toContain('text encoder t5gemma2-random-tiny-seed0: not loaded');
    expect(log).toMatch(/resuming from .*epoch-0003-step-0000012: phase 'l1-offset', epoch 4/);
    expect(log).toContain("phase 'l1-normalised-ema' (epochs 5-5, 3 steps an epoch, loss l1)");
    expect(log).toMatch(/phase 2\/3 normalisation: offset 0\.3077, std 1\.1908/);

    // log.csv: 18 steps, global steps 1..18, each phase starting at its own LR.
    const rows = readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('Epoch,Global_Step,Loss,LR');
    const steps = rows.slice(1).map((row) => row.split(',').map(Number));
    expect(steps.map(([, step]) => step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(steps.map(([epoch]) => epoch)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]);
    expect([steps[0][3], steps[9][3], steps[15][3]]).toEqual([1e-4, 5e-5, 5e-5]);
    expect(steps.every(([, , loss]) => Number.isFinite(loss) && loss > 0)).toBe(true);
    const schedule = JSON.parse(readFileSync(join(out, 'schedule.json'), 'utf8'));
    expect(schedule.map((p: { epochs: number[] }) => p.epochs)).toEqual([
      [0, 2],
      [3, 4],
      [5, 5],
    ]);

    // Checkpoints at every phase end; the final weights are the last checkpoint's EMA.
    const checkpoints = readdirSync(join(out, 'checkpoints')).sort();
    expect(checkpoints).toEqual(['epoch-0003-step-0000012', 'epoch-0004-step-0000015', 'epoch-0005-step-0000018']); // keepLast 3
    const ema = await readAllTensors(join(out, 'checkpoints', 'epoch-0005-step-0000018', 'ema.safetensors'));
    const final = await readAllTensors(join(result.finalDir!, 'model.safetensors'));
    const raw = await readAllTensors(join(out, 'checkpoints', 'epoch-0005-step-0000018', 'model.safetensors'));
    const name = 'blocks.0.qkv.weight';
    expect(Array.from(final.tensors.get(name)!.data)).toEqual(Array.from(ema.tensors.get(name)!.data));
    expect(Array.from(final.tensors.get(name)!.data)).not.toEqual(Array.from(raw.tensors.get(name)!.data));
    const model = await SingleStreamDiTV2.fromPretrained(result.finalDir!);
    expect(model.config).toMatchObject({ inChannels: 48, textDim: 64, textLength: 32, hiddenSize: 192 });
    model.dispose();

    // Validation once (raw and EMA), one generated PNG per prompt at the first bucket, the report.
    expect(readdirSync(join(out, 'samples')).sort()).toEqual(['epoch_0005_ema_entry0.png', 'epoch_0005_raw_entry0.png']);
    expect(result.generated).toHaveLength(2);
    for (const file of result.generated) expect(await imageSize(readFileSync(file))).toMatchObject({ width: 64, height: 64 });
    for (const file of [result.generatedGrid!, result.report!.lossChart, result.report!.report, join(out, 'result.json'), join(out, 'cache-statistics.json')]) {
      expect(existsSync(file), file).toBe(true);
    }
  });
});
