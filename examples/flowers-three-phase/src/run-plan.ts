import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '@dit/core';
import { countParameters, estimateMemory, trainingStepFlops, type DiTConfig } from '@dit/model';
import { planMemory, resolveLrSchedule, type MemoryPlan, type Phase, type StepTimeMeasurement } from '@dit/train';
import { stepsPerEpoch, type DatasetScan } from './dataset-scan.js';
import type { FlipSource } from './options.js';

/** What the original measured (SPEC section 6): ~14 s an epoch on an RTX 5060 Ti 16 GB in bf16, ~5 h in all. */
export const ORIGINAL_RUN = { gpu: 'RTX 5060 Ti 16 GB', precision: 'bf16', secondsPerEpoch: 14, hours: 5 } as const;

export interface PhasePlan {
  name: string;
  epochs: [number, number];
  epochCount: number;
  loss: string;
  /** e.g. 'cosine 1e-4 -> 5e-5 per epoch'. */
  lr: string;
  flip: boolean;
  latentNorm: { std: number; offset: number };
  ema: false | number;
  textDropout: number;
  stepsPerEpoch: number;
  steps: number;
}

export interface MemoryCheck {
  backend: string;
  /** The plan the trainer would make, or null when nothing fits. */
  plan: MemoryPlan | null;
  /** Why nothing fits. */
  error?: string;
}

/** Training steps timed on the active backend (`measureStepTime`), at one bucket. */
export interface StepTiming {
  /** The backend, as selectBackend names it. */
  backend: string;
  measurement: StepTimeMeasurement;
  /** The bucket (image pixels) whose latent size was timed. */
  bucket: { width: number; height: number };
}

export interface TimeEstimate {
  /** What was timed and how a step's time follows from it. */
  timing: StepTiming;
  /** Matmul FLOPs of one training step per bucket (`trainingStepFlops`): other buckets' steps scale from the timed one by these. */
  stepFlops: { bucket: string; flops: number }[];
  /** Seconds of one step per bucket on this backend. */
  stepSeconds: { bucket: string; seconds: number }[];
  /** Per phase: FLOPs of one epoch, and its seconds on this backend. */
  perPhase: { name: string; epochFlops: number; secondsPerEpoch: number }[];
  totalFlops: number;
  /** All epochs of the schedule on this backend. */
  totalSeconds: number;
  /** The throughput the original's 14 s an epoch implies for its first phase's work. */
  originalTflops: number;
}

export interface RunPlan {
  scale: string;
  dataset: DatasetScan;
  batchSize: number;
  flip: FlipSource;
  phases: PhasePlan[];
  totalEpochs: number;
  totalSteps: number;
  model: { config: DiTConfig; parameters: number };
  optimizer: string;
  memoryBudget: string;
  /**
   * The trainer's memory plan on a GPU within the budget, with tfjs-node-gpu and with WebGPU (its
   * buffer pool counted), and on this backend when it is neither; `active` is the one of the
   * backend in use (what its training steps are timed with).
   */
  memory: { gpu: MemoryCheck; webgpu: MemoryCheck; here: MemoryCheck | null; active: MemoryCheck };
  time: TimeEstimate | null;
  warnings: string[];
}

export interface MakePlanOptions {
  scale: string;
  dataset: DatasetScan;
  schedule: readonly Phase[];
  batchSize: number;
  flip: FlipSource;
  model: DiTConfig;
  /** Latent size per bucket (bucket pixels / the autoencoder's downsampling). */
  downsample: number;
  optimizer: 'adamw' | 'adamw-8bit';
  memoryBudget: string;
  /** Training steps timed on this backend (see `timeTrainingStep`); null skips the time estimate. */
  stepTiming: StepTiming | null;
  /**
   * The backend in use, as selectBackend names it (`BackendChoice.name`). Default: read from
   * tf.getBackend() by {@link backendInUse}, which cannot tell tfjs-node-gpu from tfjs-node.
   */
  backend?: BackendName;
}

/**
 * selectBackend's name for tfjs' active backend. tfjs-node and tfjs-node-gpu both register as
 * 'tensorflow', so that reads as 'node': pass `BackendChoice.name` where the choice is known.
 */
export function backendInUse(tfjsName = tf.getBackend()): string {
  return tfjsName === 'tensorflow' ? 'node' : tfjsName;
}

/** 1e-4 rather than 0.0001. */
const rate = (value: number) => value.toExponential().replace(/\.?0+e/, 'e');

function describeLr(phase: Phase): string {
  const lr = resolveLrSchedule(phase.lr);
  if (lr.kind === 'constant') return `constant ${rate(lr.lr)}`;
  return `cosine ${rate(lr.start)} -> ${rate(lr.end)} per ${lr.unit}${lr.tMax !== undefined ? ` (T_max ${lr.tMax})` : ''}`;
}

function memoryCheck(options: MakePlanOptions, backend: string, latentSizes: { height: number; width: number }[]): MemoryCheck {
  // Parameter-sized tensors the trainer keeps on the backend: AdamW's two moments (the 8-bit
  // moments live in JavaScript memory) and the EMA of phase 3.
  const stateCopies = (options.optimizer === 'adamw' ? 2 : 0) + (options.schedule.some((p) => p.ema !== false) ? 1 : 0);
  try {
    const plan = planMemory({
      config: options.model as unknown as Record<string, number>,
      batchSize: options.batchSize,
      latentSizes,
      budget: options.memoryBudget,
      backend,
      estimate: (config, shape) => estimateMemory(config, { ...shape, optimizerStates: stateCopies }).deviceBytes,
    });
    return { backend, plan };
  } catch (error) {
    return { backend, plan: null, error: (error as Error).message };
  }
}

/** Steps, memory and time of a run, computed without training (the dry run, and the header of a real run). */
export function makePlan(options: MakePlanOptions): RunPlan {
  const { dataset, batchSize, schedule, model } = options;
  const warnings: string[] = [];
  const phases: PhasePlan[] = schedule.map((phase) => {
    const copies = phase.flip && options.flip === 'copies' ? 2 : 1;
    const perEpoch = stepsPerEpoch(dataset.perBucket, batchSize, copies);
    if (perEpoch === 0) warnings.push(`phase '${phase.name}': no bucket holds a full batch of ${batchSize}; lower --batch-size`);
    const epochCount = phase.epochs[1] - phase.epochs[0] + 1;
    return {
      name: phase.name,
      epochs: [...phase.epochs],
      epochCount,
      loss: phase.loss,
      lr: describeLr(phase),
      flip: phase.flip,
      latentNorm: { std: phase.latentNorm?.std ?? 1, offset: phase.latentNorm?.offset ?? 0 },
      ema: phase.ema,
      textDropout: phase.textDropout,
      stepsPerEpoch: perEpoch,
      steps: perEpoch * epochCount,
    };
  });
  if (dataset.uncaptioned > 0) warnings.push(`${dataset.uncaptioned} image(s) have no caption file and will be skipped`);
  const latentSizes = dataset.perBucket
    .filter(({ images }) => images > 0)
    .map(({ bucket }) => ({ height: bucket.height / options.downsample, width: bucket.width / options.downsample }));
  if (latentSizes.length === 0) latentSizes.push({ height: 64, width: 64 });
  const gpu = memoryCheck(options, 'node-gpu', latentSizes);
  // WebGPU: the buffer pool counted; the binding limit too when WebGPU is the active backend.
  const webgpu = memoryCheck(options, 'webgpu', latentSizes);
  const current = options.backend ?? backendInUse();
  const here = current === 'node-gpu' || current === 'webgpu' ? null : memoryCheck(options, current, latentSizes);
  const active = here ?? (current === 'webgpu' ? webgpu : gpu);
  const checkpointing = active.plan?.checkpointing ?? false;

  let time: TimeEstimate | null = null;
  if (options.stepTiming) {
    const { measurement, bucket: timed } = options.stepTiming;
    const flopsAt = (bucket: { width: number; height: number }) =>
      trainingStepFlops(model, { batch: batchSize, height: bucket.height / options.downsample, width: bucket.width / options.downsample, checkpointing });
    const timedFlops = flopsAt(timed);
    const stepFlops = dataset.perBucket.map(({ bucket }) => ({ bucket: `${bucket.width}x${bucket.height}`, flops: flopsAt(bucket) }));
    // Other buckets' steps take the timed step's seconds in proportion to their matmul work.
    // flops / timedFlops first: the timed bucket gets the measured time exactly ((a * f) / f is not a in 12% of cases).
    const stepSeconds = stepFlops.map(({ bucket, flops }) => ({ bucket, seconds: measurement.secondsPerStep * (flops / timedFlops) }));
    const perPhase = schedule.map((phase) => {
      const copies = phase.flip && options.flip === 'copies' ? 2 : 1;
      const steps = dataset.perBucket.map(({ images }) => Math.floor((images * copies) / batchSize));
      return {
        name: phase.name,
        epochFlops: steps.reduce((sum, n, b) => sum + n * stepFlops[b].flops, 0),
        secondsPerEpoch: steps.reduce((sum, n, b) => sum + n * stepSeconds[b].seconds, 0),
      };
    });
    const totalFlops = perPhase.reduce((sum, p, i) => sum + p.epochFlops * phases[i].epochCount, 0);
    time = {
      timing: options.stepTiming,
      stepFlops,
      stepSeconds,
      perPhase,
      totalFlops,
      totalSeconds: perPhase.reduce((sum, p, i) => sum + p.secondsPerEpoch * phases[i].epochCount, 0),
      originalTflops: perPhase[0].epochFlops / ORIGINAL_RUN.secondsPerEpoch / 1e12,
    };
  }
  return {
    scale: options.scale,
    dataset,
    batchSize,
    flip: options.flip,
    phases,
    totalEpochs: phases.reduce((n, p) => n + p.epochCount, 0),
    totalSteps: phases.reduce((n, p) => n + p.steps, 0),
    model: { config: model, parameters: countParameters(model) },
    optimizer: options.optimizer,
    memoryBudget: options.memoryBudget,
    memory: { gpu, webgpu, here, active },
    time,
    warnings,
  };
}
