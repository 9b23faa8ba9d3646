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
   * 'schedule': each phase's latentNorm as written. 'cache': the cache's own statistics instead,
   * as the original took 1.1908 and 0.3077 from its data: an offset-only phase gets the
   * suggested offset, a phase that also divides gets the suggested std and the centring offset.
   */
  latentNorm?: 'schedule' | 'cache';
}

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

function cacheNorm(phase: Phase, suggested: SuggestedNormalisation): Phase {
  const { std = 1, offset = 0 } = phase.latentNorm ?? {};
  if (std === 1 && offset === 0) return phase;
  return { ...phase, latentNorm: std === 1 ? { std: 1, offset: suggested.offset } : { std: suggested.std, offset: suggested.centredOffset } };
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
  if (options.latentNorm === 'cache') {
    const suggested = await statistics();
    schedule = schedule.map((phase) => cacheNorm(phase, suggested));
  } else if (options.latentNorm !== undefined && options.latentNorm !== 'schedule') {
    throw new CliError(`--latent-norm: expected one of schedule, cache, got '${options.latentNorm}'`, EXIT.usage);
  }
  return schedule;
}
