import { silentLogger } from '@dit/core';
import { SingleStreamDiTV2 } from '@dit/model';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InMemoryDataset } from './in-memory-dataset.js';
import type { Phase } from './phases.js';
import { flowerDataset, TINY_PIXEL_CONFIG } from './test-support/flowers.js';
import { train } from './trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-phases-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dataset: InMemoryDataset;
beforeAll(async () => {
  dataset = await flowerDataset({ size: 8 });
});

const twoPhases = (resetOptimizer: boolean): Phase[] => [
  { name: 'first', epochs: [0, 1], loss: 'mse', lr: 1e-3, flip: true, ema: false, textDropout: 0.25 },
  { name: 'second', epochs: [2, 2], loss: 'l1', lr: 2e-4, flip: false, latentNorm: { offset: 0.3 }, ema: 0.9, textDropout: 0.1, resetOptimizer },
];

/** Weights when phase 'second' starts and after its first step. */
async function firstStepOfSecondPhase(resetOptimizer: boolean): Promise<{ before: Map<string, Float32Array>; after: Map<string, Float32Array>; lr: number }> {
  const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 2 });
  const snapshot = () => new Map(model.namedVariables().map(({ name, variable }) => [name, variable.dataSync().slice() as Float32Array]));
  let before = new Map<string, Float32Array>();
  let after = new Map<string, Float32Array>();
  let lr = 0;
  let lastStepOfFirst = new Map<string, Float32Array>();
  await train({
    model,
    dataset,
    schedule: twoPhases(resetOptimizer),
    outputDir: join(root, `reset-${resetOptimizer}`),
    batchSize: 4,
    // No decay and a negligible eps, so a fresh Adam step is exactly lr * sign(g).
    optimizer: { weightDecay: 0, eps: 1e-14 },
    logger: silentLogger,
    progress: false,
    onPhase: (info) => {
      if (info.phase === 'second') {
        before = snapshot();
        // Moving to the next phase keeps the weights.
        for (const [name, values] of lastStepOfFirst) expect(before.get(name)).toEqual(values);
      }
    },
    onStep: (step) => {
      if (step.phase === 'first') lastStepOfFirst = snapshot();
      if (step.phase === 'second' && after.size === 0) {
        after = snapshot();
        lr = step.lr;
      }
    },
  });
  model.dispose();
  return { before, after, lr };
}

/** Share of weights that moved by lr (+-1%): what Adam's first step from fresh moments does (g / sqrt(g^2) = sign g). */
function shareMovedByLr(before: Map<string, Float32Array>, after: Map<string, Float32Array>, lr: number): number {
  let moved = 0;
  let total = 0;
  for (const [name, values] of before) {
    const next = after.get(name)!;
    for (let i = 0; i < values.length; i++) {
      total += 1;
      if (Math.abs(Math.abs(next[i] - values[i]) / lr - 1) < 0.01) moved += 1;
    }
  }
  return moved / total;
}

describe('phase switch', () => {
  it('keeps the weights and starts the next phase with fresh optimiser moments and its own LR', async () => {
    const fresh = await firstStepOfSecondPhase(true);
    expect(fresh.lr).toBe(2e-4);
    // Adam's first step from zero moments moves (almost) every weight by lr * g / |g| = lr.
    expect(shareMovedByLr(fresh.before, fresh.after, fresh.lr)).toBeGreaterThan(0.9);
    const carried = await firstStepOfSecondPhase(false);
    expect(shareMovedByLr(carried.before, carried.after, carried.lr)).toBeLessThan(0.2);
  });
});
