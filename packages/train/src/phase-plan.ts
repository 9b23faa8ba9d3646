import { BucketBatchSampler } from '@dit/data';
import type { TrainPosition } from './checkpoint/state.js';
import { phaseBuckets, type TrainingDataset } from './dataset.js';
import { phaseLength, type Phase } from './phases.js';
import { learningRateAt, resolveLrSchedule, type LrUnit } from './schedule/lr.js';

/** What a phase draws from and how long its epochs are: fixed for the whole run. */
export interface PhasePlan {
  phase: Phase;
  /** Batches within one bucket, in an order that is a function of (seed, epoch). */
  sampler: BucketBatchSampler;
  /** Mirror at load time (the cache holds no mirrored copies). */
  flipAtLoad: boolean;
  stepsPerEpoch: number;
  /** Dataset entries the phase draws from. */
  items: number;
}

export function planPhases(options: { schedule: readonly Phase[]; dataset: TrainingDataset; batchSize: number; seed: number }): PhasePlan[] {
  return options.schedule.map((phase, i) => {
    const { buckets, flipAtLoad, items } = phaseBuckets(options.dataset, phase.flip);
    let sampler: BucketBatchSampler;
    try {
      sampler = new BucketBatchSampler({ buckets, batchSize: options.batchSize, seed: options.seed });
    } catch (error) {
      throw new Error(`schedule[${i}] ('${phase.name}'): ${(error as Error).message}`);
    }
    return { phase, sampler, flipAtLoad, stepsPerEpoch: sampler.batchesPerEpoch, items };
  });
}

/** The LR of the step at `position` in its phase, and where it comes from in the phase's schedule. */
export function learningRateFor(plan: PhasePlan, position: Pick<TrainPosition, 'epoch' | 'phaseStep'>): { unit: LrUnit; index: number; value: number } {
  const { phase } = plan;
  const schedule = resolveLrSchedule(phase.lr);
  const epochs = phaseLength(phase);
  const length = schedule.unit === 'epoch' ? epochs : plan.stepsPerEpoch * epochs;
  const index = Math.min(schedule.unit === 'epoch' ? position.epoch - phase.epochs[0] : position.phaseStep, length - 1);
  return { unit: schedule.unit, index, value: learningRateAt({ schedule, index: Math.max(0, index), length }) };
}
