import { LATENT_NORMALIZATION_PHASES, type LossKind, type TimestepDistribution } from '@dit/flow';
import { resolveLrSchedule, type LrScheduleInput } from './schedule/lr.js';

/**
 * One stretch of training with fixed settings (a row of SPEC section 6's table). The original
 * ran each phase as its own script resuming the last checkpoint; here a schedule is a list of
 * phases and one trainer runs it, resumable anywhere.
 */
export interface Phase {
  /** Unique name, shown in logs and recorded in checkpoints. */
  name: string;
  /** First and last epoch, both included (SPEC section 6: 0-600, 601-900, 901-1200). */
  epochs: [number, number];
  /** Flow-matching loss on the velocity (SPEC section 3). */
  loss: LossKind;
  /** Learning rate: a number (constant), [start, end] (cosine per epoch) or a full {@link LrSchedule}. */
  lr: LrScheduleInput;
  /** Horizontal-flip augmentation (phase 1 only in the original: it caused two-stem artefacts later). */
  flip: boolean;
  /** Cached latent -> model latent: cached / std + offset (SPEC section 4). Default { std: 1, offset: 0 }. */
  latentNorm?: { std?: number; offset?: number };
  /** EMA of the weights: false, or its decay. An EMA starts with the phase that first asks for one and carries over. */
  ema: false | number;
  /** Chance that a sample's text embeddings are zeroed, for classifier-free guidance. */
  textDropout: number;
  /** Training-time distribution (from @dit/flow). Default uniform, as the original. */
  timesteps?: TimestepDistribution;
  /** Timestep shift (SPEC section 3), 1 = none. Default 1. */
  timestepShift?: number;
  /** Start the phase with fresh optimiser moments, as each of the original's scripts did. Default true. */
  resetOptimizer?: boolean;
}

export const PHASE_DEFAULTS = { latentNorm: { std: 1, offset: 0 }, timestepShift: 1, resetOptimizer: true } as const;

/** The three phases of SPEC section 6 (1201 epochs, 0-1200). */
export const originalSchedule: readonly Phase[] = Object.freeze([
  {
    name: 'mse-flip',
    epochs: [0, 600],
    loss: 'mse',
    lr: [1e-4, 5e-5],
    flip: true,
    latentNorm: { ...LATENT_NORMALIZATION_PHASES.phase1 },
    ema: false,
    textDropout: 0.25,
  },
  {
    name: 'l1-offset',
    epochs: [601, 900],
    loss: 'l1',
    lr: [5e-5, 2e-5],
    flip: false,
    latentNorm: { ...LATENT_NORMALIZATION_PHASES.phase2 },
    ema: false,
    textDropout: 0.1,
  },
  {
    name: 'l1-normalised-ema',
    epochs: [901, 1200],
    loss: 'l1',
    lr: [5e-5, 1e-5],
    flip: false,
    latentNorm: { ...LATENT_NORMALIZATION_PHASES.phase3 },
    ema: 0.999,
    textDropout: 0.1,
  },
] satisfies Phase[]);

/**
 * The learning rates the original's log actually records (its scripts used
 * CosineAnnealingLR(T_max = 300, eta_min = 1e-5) in every run): phase 1 was two runs,
 * epochs 0-300 from 2e-4 and 301-600 from 1e-4; phases 2 and 3 started at 5e-5. Everything
 * else as {@link originalSchedule}.
 */
export const originalScheduleAsLogged: readonly Phase[] = Object.freeze([
  { ...originalSchedule[0], name: 'mse-flip-a', epochs: [0, 300], lr: { kind: 'cosine', start: 2e-4, end: 1e-5, tMax: 300 } },
  { ...originalSchedule[0], name: 'mse-flip-b', epochs: [301, 600], lr: { kind: 'cosine', start: 1e-4, end: 1e-5, tMax: 300 } },
  { ...originalSchedule[1], lr: { kind: 'cosine', start: 5e-5, end: 1e-5, tMax: 300 } },
  { ...originalSchedule[2], lr: { kind: 'cosine', start: 5e-5, end: 1e-5, tMax: 300 } },
] satisfies Phase[]);

/** Throws naming the phase and field at fault: contiguous epochs, unique names, valid values. */
export function validateSchedule(schedule: readonly Phase[]): void {
  if (!Array.isArray(schedule) || schedule.length === 0) throw new Error('schedule must be a non-empty array of phases');
  const names = new Set<string>();
  schedule.forEach((phase, i) => {
    const at = `schedule[${i}]`;
    if (typeof phase.name !== 'string' || phase.name === '') throw new Error(`${at}.name must be a non-empty string`);
    if (names.has(phase.name)) throw new Error(`${at}.name '${phase.name}' is used by an earlier phase`);
    names.add(phase.name);
    const [first, last] = phase.epochs ?? [];
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first) {
      throw new Error(`${at}.epochs must be [first, last] integers with 0 <= first <= last, got ${JSON.stringify(phase.epochs)}`);
    }
    if (i > 0 && first !== schedule[i - 1].epochs[1] + 1) {
      throw new Error(`${at}.epochs must start at ${schedule[i - 1].epochs[1] + 1}, right after '${schedule[i - 1].name}', got ${first}`);
    }
    if (!['mse', 'l1', 'huber'].includes(phase.loss)) throw new Error(`${at}.loss must be 'mse', 'l1' or 'huber', got ${JSON.stringify(phase.loss)}`);
    resolveLrSchedule(phase.lr, `${at}.lr`);
    if (typeof phase.flip !== 'boolean') throw new Error(`${at}.flip must be true or false`);
    if (phase.ema !== false && !(typeof phase.ema === 'number' && phase.ema >= 0 && phase.ema <= 1)) {
      throw new Error(`${at}.ema must be false or a decay in [0, 1], got ${JSON.stringify(phase.ema)}`);
    }
    if (!(phase.textDropout >= 0 && phase.textDropout <= 1)) throw new Error(`${at}.textDropout must be in [0, 1], got ${phase.textDropout}`);
    const { std = 1, offset = 0 } = phase.latentNorm ?? {};
    if (!(std > 0) || !Number.isFinite(std)) throw new Error(`${at}.latentNorm.std must be a finite number > 0, got ${std}`);
    if (!Number.isFinite(offset)) throw new Error(`${at}.latentNorm.offset must be finite, got ${offset}`);
    const shift = phase.timestepShift ?? PHASE_DEFAULTS.timestepShift;
    if (!(shift > 0) || !Number.isFinite(shift)) throw new Error(`${at}.timestepShift must be a finite number > 0, got ${shift}`);
  });
}

/** Index of the phase that trains `epoch`, or -1 after the last. */
export function phaseIndexAt(schedule: readonly Phase[], epoch: number): number {
  if (epoch < schedule[0].epochs[0]) throw new Error(`epoch ${epoch} comes before the schedule's first epoch ${schedule[0].epochs[0]}`);
  return schedule.findIndex((phase) => epoch >= phase.epochs[0] && epoch <= phase.epochs[1]);
}

/** Epochs a phase lasts. */
export function phaseLength(phase: Phase): number {
  return phase.epochs[1] - phase.epochs[0] + 1;
}

export interface ScaleScheduleOptions {
  /** Total epochs of the scaled schedule (at least one per phase). */
  epochs: number;
}

/**
 * The same schedule squeezed (or stretched) to `epochs` epochs in all, for demos: each phase
 * keeps its share of the epochs (at least one), starting at the original's first epoch; epoch
 * counts inside LR schedules (tMax, and warmup when counted in epochs) scale with their phase.
 */
export function scaleSchedule(schedule: readonly Phase[], options: ScaleScheduleOptions): Phase[] {
  validateSchedule(schedule);
  const { epochs } = options;
  if (!Number.isInteger(epochs) || epochs < schedule.length) {
    throw new Error(`epochs must be an integer >= the number of phases (${schedule.length}), got ${epochs}`);
  }
  const start = schedule[0].epochs[0];
  const total = schedule[schedule.length - 1].epochs[1] - start + 1;
  const result: Phase[] = [];
  let next = start;
  schedule.forEach((phase, i) => {
    const phasesLeft = schedule.length - i - 1;
    const idealEnd = Math.round(((phase.epochs[1] - start + 1) * epochs) / total) + start - 1;
    const last = Math.min(Math.max(idealEnd, next), start + epochs - 1 - phasesLeft);
    const ratio = (last - next + 1) / phaseLength(phase);
    result.push({ ...phase, epochs: [next, last], lr: scaleLr(phase.lr, ratio) });
    next = last + 1;
  });
  return result;
}

function scaleLr(lr: LrScheduleInput, ratio: number): LrScheduleInput {
  if (typeof lr === 'number' || Array.isArray(lr)) return lr;
  if (lr.unit === 'step') return { ...lr };
  const scaled = { ...lr };
  if (scaled.kind === 'cosine' && scaled.tMax !== undefined) scaled.tMax = Math.max(1, Math.round(scaled.tMax * ratio));
  if (scaled.warmup) scaled.warmup = Math.max(1, Math.round(scaled.warmup * ratio));
  return scaled;
}
