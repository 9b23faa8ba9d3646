// A training run in its own process, stopped by SIGINT/SIGTERM (see signals.test.ts).
// Prints "step N" after each step, and the resume hint when stopped.
import { selectBackend, silentLogger } from '@dit/core';
import { SingleStreamDiTV2 } from '@dit/model';
import { originalSchedule, scaleSchedule } from '../phases.js';
import { stopOnSignals } from '../signals.js';
import { train } from '../trainer.js';
import { flowerDataset, TINY_PIXEL_CONFIG } from './flowers.js';

export async function main([outputDir, resume]: string[]): Promise<void> {
  await selectBackend({ order: ['wasm', 'cpu'] });
  const stop = stopOnSignals({ onSignal: (signal) => process.stdout.write(`got ${signal}\n`) });
  const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 5 });
  const result = await train({
    model,
    dataset: await flowerDataset({ size: 8 }),
    schedule: scaleSchedule(originalSchedule, { epochs: 4 }),
    outputDir,
    batchSize: 4,
    seed: 11,
    resume: resume === 'resume',
    signal: stop.signal,
    logger: silentLogger,
    progress: false,
    // Slow steps down so the parent's signal lands mid-run.
    onStep: async (step) => {
      process.stdout.write(`step ${step.step}\n`);
      await new Promise((done) => setTimeout(done, 150));
    },
  });
  stop.dispose();
  model.dispose();
  if (result.status === 'interrupted') process.stdout.write(`stopped; resume with: node run-ts.mjs interrupt-child.ts ${outputDir} resume\n`);
  process.stdout.write(`status ${result.status} step ${result.position.globalStep}\n`);
}
