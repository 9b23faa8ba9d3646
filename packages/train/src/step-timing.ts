import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import type { LossKind } from '@dit/flow';
import { SingleStreamDiTV2, type DiTConfig } from '@dit/model';
import { clipGradNorm } from './clip.js';
import { createOptimizer } from './optim/create.js';
import { computeGradients } from './train-step.js';

export interface MeasureStepTimeOptions {
  /** The architecture to time, with random weights. */
  config: DiTConfig;
  /** Samples per optimiser step. */
  batchSize: number;
  /** Latent size (latent pixels, not image pixels). */
  height: number;
  width: number;
  /** Default 'mse'. */
  loss?: LossKind;
  /** Samples per forward/backward pass. Default `batchSize`. */
  microBatch?: number;
  /** Gradient checkpointing. Default false. */
  checkpointing?: boolean;
  /** Default 'adamw'. */
  optimizer?: 'adamw' | 'adamw-8bit';
  /**
   * Roughly how long the measurement may take, in seconds. A full step predicted to take longer
   * (warm-up included) is not run; a scaled proxy is timed instead. Default 60.
   */
  budgetSeconds?: number;
  /** Timed steps after the warm-up step (which compiles kernels and is not counted). Default 1. */
  timedSteps?: number;
}

export const MEASURE_STEP_TIME_DEFAULTS = {
  loss: 'mse',
  checkpointing: false,
  optimizer: 'adamw',
  budgetSeconds: 60,
  timedSteps: 1,
} as const satisfies Partial<MeasureStepTimeOptions>;

/** One configuration that was really run. */
export interface TimedRun {
  depth: number;
  batch: number;
  secondsPerStep: number;
  /**
   * True when only the warm-up step ran (it alone outlasted the budget): its time includes the
   * first run's costs (kernel compilation on a GPU, weight layout), an over-estimate.
   */
  warmUpOnly?: boolean;
}

export interface StepTimeMeasurement {
  /** tfjs backend it ran on. */
  backend: string;
  /** Seconds of one optimiser step of the whole config at `batchSize`: measured, or projected from the runs. */
  secondsPerStep: number;
  /**
   * 'full': the step itself was timed. 'depth-fit': 1 and 2 blocks were timed and the step is
   * their fixed cost plus `depth` times the cost of a block. 'depth-scaled': one block was timed
   * and multiplied by `depth` (an over-estimate by the embedders' and final layer's share).
   * Both proxies are scaled by batch / timed batch when the batch was cut too.
   */
  method: 'full' | 'depth-fit' | 'depth-scaled';
  runs: TimedRun[];
  /** Why the full step was not timed (too slow for the budget, or it failed), when it was not. */
  proxyReason?: string;
  /** One line saying what was timed and how the step time follows from it. */
  description: string;
}

async function timeSteps(options: MeasureStepTimeOptions, depth: number, batch: number, secondsLeft: () => number): Promise<Omit<TimedRun, 'depth' | 'batch'>> {
  const { config, height, width } = options;
  const loss = options.loss ?? MEASURE_STEP_TIME_DEFAULTS.loss;
  const timedSteps = options.timedSteps ?? MEASURE_STEP_TIME_DEFAULTS.timedSteps;
  const microBatch = Math.min(batch, options.microBatch ?? batch);
  // A run that fails (out of memory) is followed by smaller ones: it must leave nothing behind.
  const owned: { dispose(): void }[] = [];
  const own = <T extends { dispose(): void }>(thing: T): T => {
    owned.push(thing);
    return thing;
  };
  try {
    const model = own(new SingleStreamDiTV2({ ...config, depth, seed: 0, gradientCheckpointing: options.checkpointing ?? MEASURE_STEP_TIME_DEFAULTS.checkpointing }));
    const params = new Map(model.namedVariables().map(({ name, variable }) => [name, variable]));
    const optimizer = own(createOptimizer(params, { kind: options.optimizer ?? MEASURE_STEP_TIME_DEFAULTS.optimizer }));
    const rng = new Rng('step-timing');
    const latents = own(rng.normalTensor([batch, config.inChannels, height, width]) as tf.Tensor4D);
    const noise = own(rng.normalTensor([batch, config.inChannels, height, width]) as tf.Tensor4D);
    const text = own(rng.normalTensor([batch, config.textLength, config.textDim]) as tf.Tensor3D);
    const times = Array.from({ length: batch }, (_, i) => (i + 0.5) / batch);
    const firstVariable = model.namedVariables()[0].variable;
    const step = async () => {
      const { grads } = await computeGradients({ model, latents, noise, text, times, loss, microBatch });
      try {
        await clipGradNorm(grads, { maxNorm: 1 });
        await optimizer.apply(grads, 1e-5);
      } finally {
        tf.dispose([...grads.values()]);
      }
      // The update is queued on a GPU backend: reading a weight waits for it.
      await firstVariable.data();
    };
    const warmUpStarted = performance.now();
    await step();
    const warmUp = (performance.now() - warmUpStarted) / 1000;
    if (warmUp * timedSteps > secondsLeft()) return { secondsPerStep: warmUp, warmUpOnly: true };
    const started = performance.now();
    for (let i = 0; i < timedSteps; i++) await step();
    return { secondsPerStep: (performance.now() - started) / 1000 / timedSteps };
  } finally {
    for (const thing of owned.reverse()) thing.dispose();
  }
}

const seconds = (s: number) => (s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`);

/**
 * Times real training steps (random weights and data, AdamW, clipping) of `config` at
 * `batchSize` on the active backend, or, when that would not fit the time budget or fails (out
 * of memory), a scaled proxy: fewer blocks and, if needed, batch 1. The result says which.
 */
export async function measureStepTime(options: MeasureStepTimeOptions): Promise<StepTimeMeasurement> {
  const { config, batchSize } = options;
  const depth = config.depth;
  const budget = options.budgetSeconds ?? MEASURE_STEP_TIME_DEFAULTS.budgetSeconds;
  const runsPerConfig = 1 + (options.timedSteps ?? MEASURE_STEP_TIME_DEFAULTS.timedSteps);
  const started = performance.now();
  const left = () => budget - (performance.now() - started) / 1000;
  const backend = tf.getBackend();
  const runs: TimedRun[] = [];
  const run = async (d: number, b: number) => {
    const timed = await timeSteps(options, d, b, left);
    runs.push({ depth: d, batch: b, ...timed });
    return timed.secondsPerStep;
  };
  const where = `batch ${batchSize}, ${options.width}x${options.height} latents`;

  // The smallest proxy first: it bounds what the larger runs would cost.
  const smallest = await run(1, 1);
  let proxyReason: string;
  const predictedFull = smallest * depth * batchSize * runsPerConfig;
  if (predictedFull <= left()) {
    try {
      const full = await run(depth, batchSize);
      const how = runs[runs.length - 1].warmUpOnly ? 'the first step, warm-up included' : `${runsPerConfig - 1} timed after a warm-up`;
      return { backend, secondsPerStep: full, method: 'full', runs, description: `measured: ${seconds(full)} a step (${where}, ${depth} blocks, ${how})` };
    } catch (error) {
      proxyReason = `the full step failed: ${(error as Error).message.split('\n')[0]}`;
    }
  } else {
    proxyReason = `the full step would take about ${seconds(predictedFull / runsPerConfig)} (over the ${budget} s budget for timing)`;
  }

  let batch = 1;
  let one = smallest;
  if (batchSize > 1 && smallest * batchSize * runsPerConfig <= left()) {
    try {
      one = await run(1, batchSize);
      batch = batchSize;
    } catch {
      // batch 1 it is
    }
  }
  let two: number | undefined;
  if (depth > 1 && one * 2 * runsPerConfig <= left()) {
    try {
      two = await run(2, batch);
    } catch {
      two = undefined;
    }
  }
  const batchScale = batchSize / batch;
  const scaledBatch = batchScale === 1 ? '' : `, x ${batchScale} for batch ${batchSize}`;
  const firstOnly = runs.some((r) => r.warmUpOnly) ? ' (the first step only, warm-up included: the budget allowed no more)' : '';
  if (two !== undefined && two > one) {
    const perBlock = two - one;
    const estimate = (one - perBlock + depth * perBlock) * batchScale;
    return {
      backend,
      secondsPerStep: estimate,
      method: 'depth-fit',
      runs,
      proxyReason,
      description: `projected: ${seconds(estimate)} a step (${where}) from a proxy: 1 and 2 of ${depth} blocks at batch ${batch} took ${seconds(one)} and ${seconds(two)} a step${firstOnly}, so fixed cost + ${depth} x ${seconds(perBlock)} a block${scaledBatch}; ${proxyReason}`,
    };
  }
  const estimate = one * depth * batchScale;
  return {
    backend,
    secondsPerStep: estimate,
    method: 'depth-scaled',
    runs,
    proxyReason,
    description: `projected: ${seconds(estimate)} a step (${where}) from a proxy: 1 of ${depth} blocks at batch ${batch} took ${seconds(one)} a step${firstOnly}, x ${depth} blocks${scaledBatch} (an over-estimate); ${proxyReason}`,
  };
}
