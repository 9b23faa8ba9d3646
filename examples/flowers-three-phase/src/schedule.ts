import type { CacheStatistics } from '@dit/data';
import { LATENT_NORMALIZATION_PHASES } from '@dit/flow';
import { originalSchedule, originalScheduleAsLogged, scaleSchedule, type Phase } from '@dit/train';
import type { NormalisationSource, ScheduleName } from './options.js';

export interface FlowersScheduleOptions {
  schedule: ScheduleName;
  /** Total epochs; null keeps the schedule's own 1201. */
  epochs: number | null;
  normalisation: NormalisationSource;
  /** Needed for `normalisation: 'from-cache'`. */
  stats?: CacheStatistics;
}

/** The phase 2 offset and phase 3 std the run uses, and where they come from. */
export interface PhaseNormalisation {
  offset: number;
  std: number;
  source: string;
}

/**
 * The original's numbers (SPEC section 4), or the same two statistics of this cache: the offset
 * is -mean of the cached latents and the std their standard deviation. Phase 3 keeps the
 * original's convention, latent / std + offset with the same offset as phase 2 (so its mean is
 * not exactly zero), rather than the exactly centring offset.
 */
export function phaseNormalisation(source: NormalisationSource, stats?: CacheStatistics): PhaseNormalisation {
  if (source === 'preset') {
    const { std, offset } = LATENT_NORMALIZATION_PHASES.phase3;
    return { offset, std, source: "the original's (0.3077 / 1.1908, from its cache's statistics)" };
  }
  if (!stats) throw new Error("normalisation 'from-cache' needs the cache statistics");
  return { offset: stats.suggested.offset, std: stats.suggested.std, source: `this cache's statistics (${stats.cacheDir})` };
}

/**
 * SPEC section 6's three phases (or the LRs as the original's log recorded them), scaled to
 * `epochs` when asked, with the phase 2/3 normalisation from `phaseNormalisation`.
 */
export function flowersSchedule(options: FlowersScheduleOptions): Phase[] {
  const base = options.schedule === 'as-logged' ? originalScheduleAsLogged : originalSchedule;
  const total = base[base.length - 1].epochs[1] - base[0].epochs[0] + 1;
  const phases = options.epochs === null || options.epochs === total ? base.map((phase) => ({ ...phase })) : scaleSchedule(base, { epochs: options.epochs });
  const { offset, std } = phaseNormalisation(options.normalisation, options.stats);
  return phases.map((phase) => {
    const kind = phase.latentNorm?.std !== undefined && phase.latentNorm.std !== 1 ? 'normalised' : phase.latentNorm?.offset ? 'offset' : 'none';
    const latentNorm = kind === 'normalised' ? { std, offset } : kind === 'offset' ? { std: 1, offset } : { std: 1, offset: 0 };
    return { ...phase, latentNorm };
  });
}
