import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors } from '@dit/core';
import { presets, SingleStreamDiTV2 } from '@dit/model';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ema } from '../ema.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer } from '../optim/optimizer.js';
import { listCheckpoints, latestCheckpoint } from './list.js';
import { CheckpointMismatchError, restoreCheckpoint } from './load.js';
import { applyRetention, removeStaleTemporaries } from './retention.js';
import { CheckpointWriteError, saveCheckpoint, type SaveCheckpointOptions } from './save.js';
import { CHECKPOINT_FILES } from './state.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = { ...presets.tiny, depth: 1 };

function variablesOf(model: SingleStreamDiTV2): Map<string, tf.Variable> {
  return new Map(model.namedVariables().map(({ name, variable }) => [name, variable]));
}

function baseState(step: number, completedEpoch: number | null): SaveCheckpointOptions['state'] {
  return {
    reason: 'periodic',
    position: { phaseIndex: 0, phaseName: 'p', epoch: completedEpoch === null ? 3 : completedEpoch + 1, batch: 0, globalStep: step, phaseStep: step },
    completedEpoch,
    lr: { unit: 'epoch', index: 0, value: 1e-4 },
    rng: {},
    sampler: null,
    counters: { skippedSteps: 0, imagesSeen: step * 2, trainSeconds: 1 },
    config: { model: { ...config }, schedule: [], training: {} },
  };
}

/** A few AdamW steps with made-up gradients, so moments and weights are not trivial. */
async function train(model: SingleStreamDiTV2, optimizer: Optimizer, ema: Ema, steps: number): Promise<void> {
  for (let k = 0; k < steps; k++) {
    const grads = new Map(model.namedVariables().map(({ name, variable }) => [name, tf.randomNormal(variable.shape, 0, 0.1, 'float32', k + 1)]));
    await optimizer.apply(grads, 1e-2);
    ema.update();
    tf.dispose([...grads.values()]);
  }
}

describe('checkpoints', () => {
  it('round-trips model, EMA (PyTorch layout) and optimiser moments', async () => {
    const before = tf.memory().numTensors;
    const dir = join(root, 'roundtrip');
    const model = new SingleStreamDiTV2({ ...config, seed: 1 });
    const optimizer = new AdamW(variablesOf(model));
    const ema = new Ema(variablesOf(model), { decay: 0.9 });
    await train(model, optimizer, ema, 3);
    const { path } = await saveCheckpoint({ dir, model, optimizer, ema, state: baseState(3, 0) });
    expect(readdirSync(path).sort()).toEqual(Object.values(CHECKPOINT_FILES).sort());
    // ema.safetensors holds PyTorch names and [out, in] Linear weights, like model.safetensors.
    const emaFile = await readAllTensors(join(path, CHECKPOINT_FILES.ema));
    const modelFile = await readAllTensors(join(path, CHECKPOINT_FILES.model));
    expect([...emaFile.tensors.keys()]).toEqual([...modelFile.tensors.keys()]);
    expect(emaFile.tensors.get('x_embedder.weight')!.shape).toEqual(modelFile.tensors.get('x_embedder.weight')!.shape);

    const copy = new SingleStreamDiTV2({ ...config, seed: 2 });
    const copyOptimizer = new AdamW(variablesOf(copy));
    const restored = await restoreCheckpoint({ path, model: copy, optimizer: copyOptimizer, createEma: (decay) => new Ema(variablesOf(copy), { decay }) });
    expect(restored.state.position.globalStep).toBe(3);
    expect(restored.ema!.nAveraged).toBe(3);
    // Continuing both gives identical weights: moments, step counts and EMA came back exactly.
    await train(model, optimizer, ema, 2);
    await train(copy, copyOptimizer, restored.ema!, 2);
    for (const [a, b] of model.namedVariables().map((v, i) => [v, copy.namedVariables()[i]] as const)) {
      expect(b.variable.dataSync()).toEqual(a.variable.dataSync());
      expect(restored.ema!.weights.get(b.name)!.dataSync()).toEqual(ema.weights.get(a.name)!.dataSync());
    }
    for (const disposable of [model, optimizer, ema, copy, copyOptimizer, restored.ema!]) disposable.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a checkpoint for another architecture, listing the differing fields', async () => {
    const dir = join(root, 'mismatch');
    const model = new SingleStreamDiTV2({ ...config, seed: 1 });
    const optimizer = new AdamW(variablesOf(model));
    const { path } = await saveCheckpoint({ dir, model, optimizer, ema: null, state: baseState(1, 0) });
    const other = new SingleStreamDiTV2({ ...config, depth: 2, hiddenSize: 32, seed: 1 });
    const attempt = restoreCheckpoint({ path, model: other, optimizer: new AdamW(variablesOf(other)), createEma: () => new Ema(variablesOf(other)) });
    await expect(attempt).rejects.toThrow(CheckpointMismatchError);
    await expect(attempt).rejects.toThrow(/depth: checkpoint 1, model 2\n\s+hiddenSize: checkpoint 64, model 32/);
    model.dispose();
    other.dispose();
  });

  it('fails clearly on an unwritable or full disk and leaves the previous checkpoint intact', async () => {
    const dir = join(root, 'failures');
    const model = new SingleStreamDiTV2({ ...config, seed: 1 });
    const optimizer = new AdamW(variablesOf(model));
    const first = await saveCheckpoint({ dir, model, optimizer, ema: null, state: baseState(1, 0) });
    // A write that fails half-way (as ENOSPC would): model and config are written, then the optimiser fails.
    const full: Optimizer = { ...optimizer, kind: 'adamw', snapshot: () => Promise.reject(new Error('ENOSPC: no space left on device, write')) };
    const attempt = saveCheckpoint({ dir, model, optimizer: full, ema: null, state: baseState(2, 1) });
    await expect(attempt).rejects.toThrow(CheckpointWriteError);
    await expect(attempt).rejects.toThrow(new RegExp(`ENOSPC.*previous checkpoint ${first.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is intact`));
    expect(readdirSync(dir)).toEqual([first.name]);
    expect((await latestCheckpoint(dir))!.state.position.globalStep).toBe(1);
    // An output folder that cannot be created (a file stands in its place).
    const blocked = join(root, 'blocked');
    writeFileSync(blocked, 'not a folder');
    await expect(saveCheckpoint({ dir: join(blocked, 'checkpoints'), model, optimizer, ema: null, state: baseState(1, 0) })).rejects.toThrow(
      /could not write checkpoint .*blocked.*(ENOTDIR|EEXIST)/,
    );
    model.dispose();
  });

  it('keeps the last N plus every K-th epoch and clears stale temporaries', async () => {
    const dir = join(root, 'retention');
    const model = new SingleStreamDiTV2({ ...config, seed: 1 });
    const optimizer = new AdamW(variablesOf(model));
    for (let epoch = 1; epoch <= 7; epoch++) {
      await saveCheckpoint({ dir, model, optimizer, ema: null, state: baseState(epoch * 10, epoch) });
    }
    await saveCheckpoint({ dir, model, optimizer, ema: null, state: baseState(75, null) });
    const removed = await applyRetention({ dir, keepLast: 2, keepEvery: 3 });
    expect(removed).toEqual(['epoch-0001-step-0000010', 'epoch-0002-step-0000020', 'epoch-0004-step-0000040', 'epoch-0005-step-0000050']);
    expect((await listCheckpoints(dir)).map((c) => c.name)).toEqual([
      'epoch-0003-step-0000030',
      'epoch-0006-step-0000060',
      'epoch-0007-step-0000070',
      'epoch-0003-step-0000075',
    ]);
    // Temporaries of writers that no longer run go (also 0.1's `.tmp-` naming); a running writer's stay.
    const stale = join(dir, '.epoch-0009-step-0000090.999999999.abc.tmp');
    const legacy = join(dir, '.tmp-epoch-0008-step-0000080-999999999-abc');
    const live = join(dir, `.epoch-0010-step-0000100.${process.ppid}.abc.tmp`);
    for (const folder of [stale, legacy, live]) mkdirSync(folder);
    expect((await removeStaleTemporaries(dir)).sort()).toEqual(['.epoch-0009-step-0000090.999999999.abc.tmp', '.tmp-epoch-0008-step-0000080-999999999-abc']);
    expect([existsSync(stale), existsSync(legacy), existsSync(live)]).toEqual([false, false, true]);
    rmSync(live, { recursive: true });
    await expect(applyRetention({ dir, keepLast: 0 })).rejects.toThrow(/keepLast/);
    model.dispose();
  });
});
