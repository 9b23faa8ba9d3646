// examples/pytorch-accelerate: a @dit run continued by PyTorch + accelerate on two CPU processes,
// then by `dit train --resume`, then sampled by `dit sample`. Needs Python with torch, accelerate
// and safetensors (DIT_PYTHON, default python3); skipped with the reason elsewhere (CI has no Python).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAllTensors } from '@dit/core';
import { EXIT, runCli } from '@dit/cli';

// A root integration test (it drives the `dit` command line around the example's Python script).
const trainPy = fileURLToPath(new URL('../examples/pytorch-accelerate/train.py', import.meta.url));
const flowers = fileURLToPath(new URL('../packages/data/fixtures/flowers/', import.meta.url));
const python = process.env.DIT_PYTHON ?? 'python3';
const probe = spawnSync(python, ['-c', 'import torch, accelerate, safetensors'], { encoding: 'utf8' });
const missing = probe.status === 0 ? null : `needs Python with torch, accelerate and safetensors (tried ${python}; set DIT_PYTHON)`;

// Three phases as the original's (MSE + flips; L1 with an offset; L1 normalised with an EMA), in 7 epochs.
const schedule = [
  { name: 'mse-flip', epochs: [0, 1], loss: 'mse', lr: [1e-3, 5e-4], flip: true, ema: false, textDropout: 0.25 },
  { name: 'l1-offset', epochs: [2, 3], loss: 'l1', lr: [5e-4, 2e-4], flip: false, latentNorm: { std: 1, offset: 0.1 }, ema: false, textDropout: 0.1 },
  { name: 'l1-ema', epochs: [4, 6], loss: 'l1', lr: [5e-4, 1e-4], flip: false, latentNorm: { std: 1.2, offset: 0.1 }, ema: 0.9, textDropout: 0.1 },
];

let dir: string;
const quiet = { out: () => undefined, err: () => undefined };
const trainArgs = (out: string) => ['train', '--cache', join(dir, 'cache'), '--out', out, '--preset', 'tiny', '--schedule', join(dir, 'schedule.json'), '--batch-size', '2', '--checkpoint-every', '1', '--no-progress'];
const logRows = (run: string) => readFileSync(join(run, 'log.csv'), 'utf8').trim().split('\n').slice(1).map((row) => row.split(','));
const stepRecords = (run: string) =>
  readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((record) => record.type === 'step');

/** A run stopped by Ctrl-C right after epoch 2, so the next step starts epoch 3 (phase 'l1-offset'). */
async function interruptedRun(name: string): Promise<string> {
  const run = join(dir, name);
  let signalled = false;
  const io = {
    out: () => undefined,
    err: (line: string) => {
      if (!signalled && /^epoch 2 /.test(line)) {
        signalled = true;
        process.emit('SIGINT', 'SIGINT');
      }
    },
  };
  expect(await runCli(trainArgs(run), io)).toBe(EXIT.ok);
  return run;
}

function accelerate(run: string, extra: string[], env: Record<string, string> = { ACCELERATE_USE_CPU: '1' }) {
  const args = ['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no'];
  const result = spawnSync(python, [...args, trainPy, '--run', run, ...extra], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

/** Largest difference over all tensors relative to the largest value: global and per tensor. */
async function weightDifference(a: string, b: string): Promise<{ global: number; perTensor: number }> {
  const [left, right] = await Promise.all([readAllTensors(a), readAllTensors(b)]);
  let squared = 0;
  let norm = 0;
  let perTensor = 0;
  for (const [name, tensor] of left.tensors) {
    const other = right.tensors.get(name)!.data as Float32Array;
    const values = tensor.data as Float32Array;
    let largest = 0;
    let diff = 0;
    values.forEach((value, i) => {
      squared += (value - other[i]) ** 2;
      norm += value ** 2;
      largest = Math.max(largest, Math.abs(value));
      diff = Math.max(diff, Math.abs(value - other[i]));
    });
    perTensor = Math.max(perTensor, diff / Math.max(largest, 1e-12));
  }
  return { global: Math.sqrt(squared / norm), perTensor };
}

beforeAll(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'dit-accelerate-'));
  await cp(flowers, join(dir, 'dataset'), { recursive: true });
  await writeFile(join(dir, 'schedule.json'), JSON.stringify(schedule));
  const preprocess = ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', join(dir, 'cache'), '--text-encoder', 'random:tiny', '--vae', 'pixel:8'];
  expect(await runCli([...preprocess, '--buckets', '64x64,48x80,80x48', '--max-length', '16'], quiet)).toBe(EXIT.ok);
  // The reference: the same schedule trained by @dit alone, without a stop.
  expect(await runCli(trainArgs(join(dir, 'reference')), quiet)).toBe(EXIT.ok);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)(`examples/pytorch-accelerate${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('two processes continue a @dit run where @dit would, and `dit train --resume` ends it as an uninterrupted run', async () => {
    const run = await interruptedRun('split');
    const moved = accelerate(run, ['--epochs', '2', '--split-batches', '--rng', 'dit']);
    expect(moved.status, moved.err).toBe(0);
    expect(moved.out).toContain('2 processes (MULTI_CPU');
    expect(moved.out).toContain("continuing");
    expect(moved.out).toMatch(/checkpoint \(periodic\): .*epoch-0004-step-0000015/);

    // `dit sample` on the checkpoint PyTorch wrote takes its normalisation from it (phase 'l1-ema').
    const sampled = join(dir, 'sampled');
    const sample = ['sample', '--model', run, '--vae', 'pixel:8', '--text-encoder', 'random:tiny:0', '--prompt', 'a red flower', '--steps', '2', '--width', '64', '--height', '64', '--out', sampled];
    expect(await runCli(sample, quiet)).toBe(EXIT.ok);
    const settings = JSON.parse(readFileSync(join(sampled, '000-a-red-flower-seed0.json'), 'utf8'));
    expect(settings).toMatchObject({ latentStd: 1.2, latentOffset: 0.1 });

    const resumed: string[] = [];
    expect(await runCli([...trainArgs(run), '--resume'], { out: () => undefined, err: (line) => resumed.push(line) })).toBe(EXIT.ok);
    expect(resumed.join('\n')).toContain('resuming from');
    expect(resumed.join('\n')).not.toContain('changed settings');

    // Same steps, epochs and learning rates as the uninterrupted run; losses and weights equal to
    // float32 rounding across two frameworks (PyTorch and tfjs differ by ~1e-7 a step).
    const reference = join(dir, 'reference');
    const rows = logRows(run);
    const expected = logRows(reference);
    expect(rows.map(([epoch, step, , lr]) => [epoch, step, lr])).toEqual(expected.map(([epoch, step, , lr]) => [epoch, step, lr]));
    rows.forEach(([, , loss], i) => expect(Math.abs(Number(loss) - Number(expected[i][2])) / Number(expected[i][2])).toBeLessThan(1e-5));
    const difference = await weightDifference(join(reference, 'final', 'model.safetensors'), join(run, 'final', 'model.safetensors'));
    expect(difference.global).toBeLessThan(1e-5);
    expect(difference.perTensor).toBeLessThan(2e-3);
    const steps = stepRecords(run).filter((record) => record.processes === 2);
    expect(steps.map((record) => record.step)).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('whole batches per process: every batch of an epoch is trained once, and the run comes back', async () => {
    const run = await interruptedRun('whole');
    const moved = accelerate(run, ['--epochs', '1']);
    expect(moved.status, moved.err).toBe(0);
    expect(moved.out).toContain('a step trains 2 batches of 2 (one a process)');
    const steps = stepRecords(run).filter((record) => record.processes === 2);
    // 3 batches an epoch: one step of two batches, then one of the last batch (the second process idles).
    expect(steps.map((record) => record.batches)).toEqual([[0, 1], [2]]);
    expect(steps.every((record) => record.epoch === 3)).toBe(true);
    expect(await runCli([...trainArgs(run), '--resume'], quiet)).toBe(EXIT.ok);
    expect(existsSync(join(run, 'final', 'model.safetensors'))).toBe(true);
    const rows = logRows(run);
    expect(rows.map(([, step]) => Number(step))).toEqual(rows.map((_, i) => i + 1));
    expect(rows.length).toBe(logRows(join(dir, 'reference')).length - 1);
  });

  it('refuses processes that do not form one group, naming the launch line that works', () => {
    const broken = accelerate(join(dir, 'reference'), ['--epochs', '1'], {});
    expect(broken.status).not.toBe(0);
    expect(broken.err).toContain('did not form one group');
    expect(broken.err).toContain('ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu');
  });
});
