import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../packages/cli/src/errors.js';
import { runCli } from '../../packages/cli/src/main.js';
import { capture } from '../../packages/cli/src/test-capture.js';

// `dit train` killed with SIGKILL at random points (mid-step, mid-checkpoint, mid-retention) and
// resumed each time must end exactly where an uninterrupted run ends. The kill points come from a
// seeded stream: DIT_FAULT_SEED=<n> replays another set (the test name shows the one used).
const SEED = Number(process.env.DIT_FAULT_SEED ?? 14);
const KILLS = 4;

const repo = fileURLToPath(new URL('../../', import.meta.url));
const runner = join(repo, 'packages/train/src/test-support/run-ts.mjs');
const child = join(repo, 'tests/fault-injection/support/cli-child.ts');
const flowers = join(repo, 'packages/data/fixtures/flowers');

let dir: string;
const cache = () => join(dir, 'cache');
// 6 epochs of 4 steps over the three phases, a checkpoint after every epoch, 2 kept: most of the
// run's time is spent in steps, checkpoint writes and retention, where the kills land.
const trainArgs = (out: string) => ['train', '--cache', cache(), '--out', out, '--preset', 'tiny', '--epochs', '6', '--batch-size', '2', '--checkpoint-every', '1', '--keep-last', '2', '--no-progress'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-fault-train-'));
  await cp(flowers, join(dir, 'dataset'), { recursive: true });
  const args = ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', cache(), '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64', '--max-length', '16'];
  expect(await runCli(args, capture().io)).toBe(EXIT.ok);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs `dit <argv>` in a child process; with `kill`, SIGKILLs it `delayMs` after its `afterEpochs`-th "epoch N" line. */
function runChild(argv: string[], kill?: { afterEpochs: number; delayMs: number }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    // The child runs on this process's backend (wasm, or cpu, or the DIT_BACKEND this run forces), so
    // the numbers match the straight run. tfjs names node and node-gpu 'tensorflow', which DIT_BACKEND
    // does not take: then the child picks as the in-process run did.
    const env: NodeJS.ProcessEnv = { ...process.env, DIT_BACKEND: process.env.DIT_BACKEND || tf.getBackend() };
    if (env.DIT_BACKEND === 'tensorflow') delete env.DIT_BACKEND;
    const proc = spawn(process.execPath, [runner, child, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stderr = '';
    let epochs = 0;
    proc.stdout.resume();
    proc.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      if (!kill) return;
      for (const line of text.split('\n')) {
        if (/^epoch \d+ /.test(line) && ++epochs === kill.afterEpochs) setTimeout(() => proc.kill('SIGKILL'), kill.delayMs);
      }
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('fault injection: dit train killed at random points', () => {
  it(`SIGKILL ${KILLS} times (seed ${SEED}) and --resume each time: final weights and log.csv as an uninterrupted run`, async () => {
    const straight = join(dir, 'straight');
    expect(await runCli(trainArgs(straight), capture().io)).toBe(EXIT.ok);

    const run = join(dir, 'killed');
    const rng = new Rng(`fault-injection/${SEED}`);
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      // The first kill follows an "epoch" line at once, which lands in that epoch's checkpoint write
      // or retention; the others come after 1-4 epoch lines of their attempt, then 0-400 ms on.
      const kill = k === 0 ? { afterEpochs: 1, delayMs: 0 } : { afterEpochs: 1 + rng.int(4), delayMs: rng.int(400) };
      const attempt = await runChild(k === 0 ? trainArgs(run) : [...trainArgs(run), '--resume'], kill);
      kills.push(`${kill.afterEpochs}+${kill.delayMs}ms: ${attempt.signal ?? `exit ${attempt.code}`}`);
      // An attempt may finish before its kill point; it must never fail.
      expect(attempt.signal === 'SIGKILL' || attempt.code === 0, `attempt ${k} (${kills.at(-1)}):\n${attempt.stderr.slice(-2000)}`).toBe(true);
      expect(attempt.stderr, `attempt ${k}`).not.toMatch(/^error:/m);
    }
    const last = await runChild([...trainArgs(run), '--resume']);
    expect(last.code, `${kills.join(', ')}\n${last.stderr.slice(-2000)}`).toBe(0);
    console.info(`[fault-injection] seed ${SEED}: kills ${kills.join(', ')}`);

    expect(await readFile(join(run, 'log.csv'), 'utf8')).toBe(await readFile(join(straight, 'log.csv'), 'utf8'));
    expect(await readFile(join(run, 'final', 'model.safetensors'))).toEqual(await readFile(join(straight, 'final', 'model.safetensors')));
    // Temporaries of killed checkpoint writes are cleared; no checkpoint folder is half written.
    expect((await readdir(join(run, 'checkpoints'))).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 600_000);
});
