/**
 * Learning-rate schedules over one phase. A schedule is data (JSON in checkpoints); the rate at
 * any point is a pure function of the position, so resuming needs only the position.
 *
 * - constant: `lr` throughout.
 * - cosine: PyTorch `CosineAnnealingLR(T_max = tMax, eta_min = end)` from `start`:
 *   lr_k = end + (start - end) (1 + cos(pi k / tMax)) / 2, k counted from the end of warmup.
 * - warmup (either kind): the first `warmup` units ramp linearly, lr_k = peak (k + 1) / warmup,
 *   as PyTorch `LinearLR(start_factor = 1 / warmup, total_iters = warmup - 1)` chained before.
 * `unit` says whether k counts epochs (stepped once an epoch, as the original did) or steps.
 */
export type LrSchedule =
  | { kind: 'constant'; lr: number; warmup?: number; unit?: LrUnit }
  | { kind: 'cosine'; start: number; end: number; tMax?: number; warmup?: number; unit?: LrUnit };

export type LrUnit = 'epoch' | 'step';

/** Shorthands a phase accepts: a number is constant, a pair [start, end] is cosine per epoch. */
export type LrScheduleInput = number | [number, number] | LrSchedule;

export const LR_DEFAULTS = { warmup: 0, unit: 'epoch' } as const satisfies { warmup: number; unit: LrUnit };

/** The full form of a schedule given in shorthand; throws naming the field at fault. */
export function resolveLrSchedule(input: LrScheduleInput, field = 'lr'): LrSchedule & { warmup: number; unit: LrUnit } {
  const schedule: LrSchedule =
    typeof input === 'number'
      ? { kind: 'constant', lr: input }
      : Array.isArray(input)
        ? { kind: 'cosine', start: input[0], end: input[1] }
        : input;
  const rate = (name: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`${field}${name} must be a finite number >= 0, got ${JSON.stringify(value)}`);
    }
  };
  if (Array.isArray(input) && input.length !== 2) throw new Error(`${field} as a pair must be [start, end], got ${JSON.stringify(input)}`);
  const warmup = schedule.warmup ?? LR_DEFAULTS.warmup;
  const unit = schedule.unit ?? LR_DEFAULTS.unit;
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`${field}.warmup must be an integer >= 0, got ${warmup}`);
  if (unit !== 'epoch' && unit !== 'step') throw new Error(`${field}.unit must be 'epoch' or 'step', got ${JSON.stringify(unit)}`);
  if (schedule.kind === 'constant') {
    rate('.lr', schedule.lr);
  } else if (schedule.kind === 'cosine') {
    rate(Array.isArray(input) ? '[0]' : '.start', schedule.start);
    rate(Array.isArray(input) ? '[1]' : '.end', schedule.end);
    if (schedule.tMax !== undefined && !(Number.isInteger(schedule.tMax) && schedule.tMax > 0)) {
      throw new Error(`${field}.tMax must be a positive integer, got ${schedule.tMax}`);
    }
  } else {
    throw new Error(`${field}.kind must be 'constant' or 'cosine', got ${JSON.stringify((schedule as { kind: unknown }).kind)}`);
  }
  return { ...schedule, warmup, unit };
}

export interface LearningRateAtOptions {
  schedule: LrScheduleInput;
  /** Position in the phase, in the schedule's unit, from 0. */
  index: number;
  /** Units in the phase (epochs, or steps when unit is 'step'); the cosine's default tMax is length - warmup. */
  length: number;
}

/** The learning rate at position `index` of a phase. */
export function learningRateAt(options: LearningRateAtOptions): number {
  const { index, length } = options;
  const schedule = resolveLrSchedule(options.schedule);
  if (!Number.isInteger(index) || index < 0) throw new Error(`index must be an integer >= 0, got ${index}`);
  if (!Number.isInteger(length) || length < 1) throw new Error(`length must be a positive integer, got ${length}`);
  const peak = schedule.kind === 'constant' ? schedule.lr : schedule.start;
  if (index < schedule.warmup) return (peak * (index + 1)) / schedule.warmup;
  if (schedule.kind === 'constant') return peak;
  const tMax = schedule.tMax ?? Math.max(1, length - schedule.warmup);
  const k = index - schedule.warmup;
  return schedule.end + ((schedule.start - schedule.end) * (1 + Math.cos((Math.PI * k) / tMax))) / 2;
}
