import { silentLogger, writeSafetensors, readAllTensors } from '@dit/core';
import { SingleStreamDiTV2 } from '@dit/model';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DamagedCheckpointError } from './checkpoint/damaged-error.js';
import { fileDigest } from './checkpoint/integrity.js';
import { NonFiniteError } from './errors.js';
import type { InMemoryDataset } from './in-memory-dataset.js';
import type { TrainOptions } from './options.js';
import { originalSchedule, scaleSchedule } from './phases.js';
import { flowerDataset, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train } from './trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-damaged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dataset: InMemoryDataset;
const models: SingleStreamDiTV2[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

// 3 epochs of 2 steps, a checkpoint after each: steps 2, 4 and 6; the last phase has an EMA.
const schedule = scaleSchedule(originalSchedule, { epochs: 3 });
const CHECKPOINTS = ['epoch-0000-step-0000002', 'epoch-0001-step-0000004', 'epoch-0002-step-0000006'];

function options(outputDir: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 100 + models.length });
  models.push(model);
  return { model, dataset, schedule, outputDir, batchSize: 4, seed: 3, checkpointEvery: 1, keepLast: 5, logger: silentLogger, progress: false, ...extra };
}

/** Every file of a folder with its sha256: what "nothing was changed" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

let straight: string;
beforeAll(async () => {
  dataset = await flowerDataset({ size: 8 });
  straight = join(root, 'straight');
  const result = await train(options(straight));
  expect(result.position.globalStep).toBe(6);
  expect(readdirSync(join(straight, 'checkpoints')).sort()).toEqual(CHECKPOINTS);
});

/** A copy of the finished run with `damage` done to it. */
function damagedRun(name: string, damage: (checkpoints: string) => void): string {
  const dir = join(root, name);
  cpSync(straight, dir, { recursive: true });
  rmSync(join(dir, 'final'), { recursive: true });
  damage(join(dir, 'checkpoints'));
  return dir;
}

const newest = (checkpoints: string, file: string) => join(checkpoints, CHECKPOINTS[2], file);

/** Writes a NaN into one weight of a checkpoint's model.safetensors and records the new digest, as a checkpoint saved by an earlier version would be. */
async function poisonWeights(checkpoint: string): Promise<void> {
  const path = join(checkpoint, 'model.safetensors');
  const { tensors, metadata } = await readAllTensors(path);
  const bias = tensors.get('blocks.0.qkv.bias')!;
  bias.data[3] = Number.NaN;
  await writeSafetensors(path, new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }])), { metadata });
  const statePath = join(checkpoint, 'state.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  state.files['model.safetensors'] = await fileDigest(path);
  writeFileSync(statePath, JSON.stringify(state));
}

const DAMAGES: [string, (checkpoints: string) => void | Promise<void>, RegExp][] = [
  ['half-written state.json', (c) => truncateSync(newest(c, 'state.json'), Math.floor(statSync(newest(c, 'state.json')).size / 2)), /state\.json is not valid JSON/],
  ['missing state.json', (c) => rmSync(newest(c, 'state.json')), /state\.json is missing/],
  ['missing optimizer.safetensors', (c) => rmSync(newest(c, 'optimizer.safetensors')), /optimizer\.safetensors is missing/],
  ['missing ema.safetensors', (c) => rmSync(newest(c, 'ema.safetensors')), /ema\.safetensors is missing/],
  ['truncated model.safetensors', (c) => truncateSync(newest(c, 'model.safetensors'), 1000), /model\.safetensors is 1000 bytes, \d+ when it was saved/],
  [
    'garbled header in model.safetensors',
    (c) => {
      const bytes = readFileSync(newest(c, 'model.safetensors'));
      bytes.write('garbage!', 8);
      writeFileSync(newest(c, 'model.safetensors'), bytes);
    },
    /model\.safetensors is not a valid safetensors file \(header is not valid JSON/,
  ],
  [
    'garbled data in ema.safetensors',
    (c) => {
      const bytes = readFileSync(newest(c, 'ema.safetensors'));
      bytes[bytes.length - 3] ^= 0x55;
      writeFileSync(newest(c, 'ema.safetensors'), bytes);
    },
    /ema\.safetensors does not match the sha256 recorded when it was saved/,
  ],
  ['NaN weights', (c) => poisonWeights(join(c, CHECKPOINTS[2])), /its weights hold NaN or Inf in 1 of \d+ tensors of model\.safetensors \(first 'blocks\.0\.qkv\.bias'\)/],
];

describe('resuming from a damaged checkpoint', () => {
  for (const [kind, damage, problem] of DAMAGES) {
    it(`${kind}: names it, suggests the previous good checkpoint and changes nothing`, async () => {
      const dir = damagedRun(kind.replace(/\W+/g, '-'), () => undefined);
      await damage(join(dir, 'checkpoints'));
      const before = snapshot(dir);
      const error = (await train(options(dir, { resume: true })).catch((e: unknown) => e)) as DamagedCheckpointError;
      expect(error).toBeInstanceOf(DamagedCheckpointError);
      expect(error.message).toMatch(new RegExp(`^cannot resume: checkpoint ${CHECKPOINTS[2]} is damaged:\\n  ${CHECKPOINTS[2]}: ${problem.source}`));
      expect(error.message).toContain(`The newest good checkpoint is ${CHECKPOINTS[1]} (step 4): continue from it with resume: '${join(dir, 'checkpoints', CHECKPOINTS[1])}', or add resumeFallback: true`);
      expect(error.newestGood?.name).toBe(CHECKPOINTS[1]);
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('every checkpoint damaged: says so, never starts a new run, overwrites nothing', async () => {
    const dir = damagedRun('all-damaged', (c) => {
      for (const name of CHECKPOINTS) truncateSync(join(c, name, 'state.json'), 10);
    });
    const before = snapshot(dir);
    for (const resumeFallback of [false, true]) {
      const error = (await train(options(dir, { resume: true, resumeFallback })).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(DamagedCheckpointError);
      expect(error.message).toMatch(new RegExp(`^cannot resume: every checkpoint in .*checkpoints is damaged:\\n  ${CHECKPOINTS[2]}: state\\.json is not valid JSON`));
      expect(error.message).toContain('Nothing was changed');
      expect(error.message).not.toMatch(/starting a new run/);
      expect(snapshot(dir)).toEqual(before);
    }
    // A new run refuses the folder as well: it holds a run's files.
    await expect(train(options(dir))).rejects.toThrow(/already holds a run's files \(checkpoints, log\.csv, log\.jsonl\); pass resume: true .* startOver: true/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('resumeFallback continues from the newest good checkpoint, moves the damaged one aside and ends as the straight run', async () => {
    const dir = damagedRun('fallback', (c) => truncateSync(newest(c, 'state.json'), 40));
    const warnings: string[] = [];
    const result = await train(options(dir, { resume: true, resumeFallback: true, logger: { info: () => undefined, warn: (line) => warnings.push(line) } }));
    expect(result.status).toBe('completed');
    expect(warnings[0]).toMatch(new RegExp(`checkpoint ${CHECKPOINTS[2]} is damaged: state\\.json is not valid JSON.*; moved to .*checkpoints-damaged/${CHECKPOINTS[2]}`));
    expect(existsSync(join(dir, 'checkpoints-damaged', CHECKPOINTS[2], 'model.safetensors'))).toBe(true);
    // Text length 16: the original's code cannot run the weights, said once for the run's checkpoints and final/.
    expect(warnings.filter((line) => /the original project's code cannot run these weights: text_length 16/.test(line))).toHaveLength(1);
    expect(readFileSync(join(dir, 'log.csv'), 'utf8')).toBe(readFileSync(join(straight, 'log.csv'), 'utf8'));
    expect(readFileSync(join(dir, 'final', 'model.safetensors'))).toEqual(readFileSync(join(straight, 'final', 'model.safetensors')));
  });

  it('an explicit damaged checkpoint (by name) is refused with the newest good one suggested', async () => {
    const dir = damagedRun('explicit', (c) => rmSync(join(c, CHECKPOINTS[1], 'model.safetensors')));
    const error = (await train(options(dir, { resume: CHECKPOINTS[1] })).catch((e: unknown) => e)) as DamagedCheckpointError;
    expect(error).toBeInstanceOf(DamagedCheckpointError);
    expect(error.message).toMatch(new RegExp(`checkpoint ${CHECKPOINTS[1]} is damaged:\\n  ${CHECKPOINTS[1]}: model\\.safetensors is missing`));
    expect(error.newestGood?.name).toBe(CHECKPOINTS[2]);
  });
});

describe('a run folder is never overwritten by a new run', () => {
  it('refuses a folder holding only log.csv; startOver moves the earlier files aside', async () => {
    const dir = join(root, 'logs-only');
    cpSync(straight, dir, { recursive: true });
    for (const name of ['checkpoints', 'final']) rmSync(join(dir, name), { recursive: true });
    const before = snapshot(dir);
    await expect(train(options(dir))).rejects.toThrow(/already holds a run's files \(log\.csv, log\.jsonl\)/);
    expect(snapshot(dir)).toEqual(before);
    const result = await train(options(dir, { startOver: true }));
    expect(result.status).toBe('completed');
    const previous = readdirSync(dir).find((name) => name.startsWith('previous-'))!;
    expect(readFileSync(join(dir, previous, 'log.csv'), 'utf8')).toBe(readFileSync(join(straight, 'log.csv'), 'utf8'));
  });
});

describe('NaN weights are never checkpointed or called a good state', () => {
  it('stops without writing a checkpoint and names the newest checkpoint with finite weights', async () => {
    const dir = join(root, 'nan-weights');
    const setup = options(dir);
    const model = setup.model;
    // Step 3 "breaks" a weight, as an overflowing update would; step 4's loss is then NaN.
    const error = (await train({
      ...setup,
      onStep: (step) => {
        if (step.step === 3) model.namedVariables()[8].variable.assign(model.namedVariables()[8].variable.mul(Number.NaN));
      },
    }).catch((e: unknown) => e)) as NonFiniteError;
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error.message).toMatch(
      new RegExp(
        `^non-finite loss \\(NaN\\) at step 4 .*; the weights themselves hold NaN or Inf in 1 of \\d+ tensors of the model \\(first '${model.namedVariables()[8].name.replace(/\./g, '\\.')}'\\): ` +
          `an earlier update broke them, so no checkpoint was written \\(it would not be a good state\\); the newest checkpoint, .*${CHECKPOINTS[0]} \\(step 2\\), has finite weights: resume from it`,
      ),
    );
    expect(error.message).not.toMatch(/last good state/);
    expect(error.details.checkpoint).toBe(join(dir, 'checkpoints', CHECKPOINTS[0]));
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual([CHECKPOINTS[0]]);
  });
});
