import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SuggestedNormalisation } from '@dit/data';
import { originalSchedule, originalScheduleAsLogged, resolveLrSchedule, scaleSchedule, validateSchedule, type Phase } from '@dit/train';
import { CliError, EXIT } from '../errors.js';

export interface TrainScheduleOptions {
  /** 'original', 'original-as-logged', or a JSON/YAML file: an array of phases or `{ phases: [...] }`. */
  schedule: string;
  /** Squeeze or stretch the schedule to this many epochs (`scaleSchedule`). */
  epochs?: number;
  /** Multiply every learning rate (a small model learns faster). Default 1. */
  lrScale?: number;
  /**
   * 'schedule': each phase's latentNorm as written. The other two take the cache's own statistics
   * instead, as the original took 0.3077 and 1.1908 from its data. 'cache' keeps the original's
   * convention (SPEC section 4): every phase that normalises adds offset = -mean, and a phase that
   * also divides uses latent / std + (-mean), the same offset after dividing (so its mean is not
   * exactly zero). 'cache-centred' differs only there: latent / std - mean / std, exactly zero-mean.
   */
  latentNorm?: LatentNormMode;
}

export const LATENT_NORM_MODES = ['schedule', 'cache', 'cache-centred'] as const;
export type LatentNormMode = (typeof LATENT_NORM_MODES)[number];

export const NAMED_SCHEDULES: Record<string, readonly Phase[]> = {
  original: originalSchedule,
  'original-as-logged': originalScheduleAsLogged,
};

async function readScheduleFile(path: string): Promise<Phase[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`--schedule ${path}: not one of ${Object.keys(NAMED_SCHEDULES).join(', ')}, and cannot read it as a file: ${(error as Error).message}`, EXIT.usage);
  }
  let value: unknown;
  try {
    value = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new CliError(`--schedule ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  const phases = Array.isArray(value) ? value : (value as { phases?: unknown } | null)?.phases;
  if (!Array.isArray(phases)) throw new CliError(`--schedule ${path}: expected an array of phases or { "phases": [...] }`, EXIT.usage);
  return phases as Phase[];
}

function scaleLr(phase: Phase, factor: number): Phase {
  if (factor === 1) return phase;
  const lr = resolveLrSchedule(phase.lr, `${phase.name}.lr`);
  return { ...phase, lr: lr.kind === 'constant' ? { ...lr, lr: lr.lr * factor } : { ...lr, start: lr.start * factor, end: lr.end * factor } };
}

function cacheNorm(phase: Phase, suggested: SuggestedNormalisation, centred: boolean): Phase {
  const { std = 1, offset = 0 } = phase.latentNorm ?? {};
  if (std === 1 && offset === 0) return phase;
  if (std === 1) return { ...phase, latentNorm: { std: 1, offset: suggested.offset } };
  return { ...phase, latentNorm: { std: suggested.std, offset: centred ? suggested.centredOffset : suggested.offset } };
}

/** The phases to train, checked; errors name the flag or file at fault. */
export async function resolveTrainSchedule(options: TrainScheduleOptions, statistics: () => Promise<SuggestedNormalisation>): Promise<Phase[]> {
  const named = NAMED_SCHEDULES[options.schedule];
  let schedule: Phase[] = named ? named.map((phase) => ({ ...phase })) : await readScheduleFile(options.schedule);
  try {
    validateSchedule(schedule);
    if (options.epochs !== undefined) schedule = scaleSchedule(schedule, { epochs: options.epochs });
    const lrScale = options.lrScale ?? 1;
    if (!(lrScale > 0)) throw new Error(`--lr-scale must be > 0, got ${lrScale}`);
    schedule = schedule.map((phase) => scaleLr(phase, lrScale));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--schedule ${options.schedule}: ${(error as Error).message}`, EXIT.usage);
  }
  const mode = options.latentNorm ?? 'schedule';
  if (!LATENT_NORM_MODES.includes(mode)) throw new CliError(`--latent-norm: expected one of ${LATENT_NORM_MODES.join(', ')}, got '${mode}'`, EXIT.usage);
  if (mode !== 'schedule') {
    const suggested = await statistics();
    schedule = schedule.map((phase) => cacheNorm(phase, suggested, mode === 'cache-centred'));
  }
  return schedule;
}
