import { measureStepTime } from '@dit/train';
import type { DiTConfig } from '@dit/model';
import type { DatasetScan } from './dataset-scan.js';
import type { RunPlan, StepTiming } from './run-plan.js';

export interface TimeTrainingStepOptions {
  model: DiTConfig;
  dataset: DatasetScan;
  batchSize: number;
  /** Image pixels per latent pixel. */
  downsample: number;
  optimizer: 'adamw' | 'adamw-8bit';
  /** The plan's memory section: the micro-batch and checkpointing this backend would train with. */
  memory: RunPlan['memory'];
  /** Seconds the timing may take; a scaled proxy is timed beyond it. */
  budgetSeconds: number;
}

/**
 * Real training steps of the planned model at the planned batch on the active backend, at the
 * bucket most images fall in, with the micro-batch and checkpointing the memory plan chose here:
 * what the dry run's time per epoch is made of. A scaled proxy when the full step is too slow for
 * the budget or does not fit (the measurement says which).
 */
export async function timeTrainingStep(options: TimeTrainingStepOptions): Promise<StepTiming> {
  const populated = options.dataset.perBucket.filter(({ images }) => images > 0);
  const { bucket } = populated.length ? populated.reduce((a, b) => (b.images > a.images ? b : a)) : { bucket: { width: 512, height: 512 } };
  const memory = options.memory.active.plan;
  const measurement = await measureStepTime({
    config: options.model,
    batchSize: options.batchSize,
    height: bucket.height / options.downsample,
    width: bucket.width / options.downsample,
    microBatch: memory?.microBatch,
    checkpointing: memory?.checkpointing,
    optimizer: options.optimizer,
    budgetSeconds: options.budgetSeconds,
  });
  return { backend: options.memory.active.backend, measurement, bucket: { width: bucket.width, height: bucket.height } };
}
