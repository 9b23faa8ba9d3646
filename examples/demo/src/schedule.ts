import type { CacheStatistics } from '@dit/data';
import { originalSchedule, resolveLrSchedule, scaleSchedule, type Phase } from '@dit/train';

/**
 * The original's three phases (SPEC section 6) squeezed to `epochs`, with learning rates
 * scaled for a tiny model, and the phase 2/3 normalisation taken from this cache's statistics
 * — as the original took 0.3077 and 1.1908 from its own (they are data, not constants).
 */
export function demoSchedule(options: { epochs: number; lrScale: number; stats: CacheStatistics }): Phase[] {
  const { std, offset } = options.stats.suggested;
  return scaleSchedule(originalSchedule, { epochs: options.epochs }).map((phase, index) => {
    const lr = resolveLrSchedule(phase.lr, `${phase.name}.lr`);
    const scaled = lr.kind === 'constant' ? { ...lr, lr: lr.lr * options.lrScale } : { ...lr, start: lr.start * options.lrScale, end: lr.end * options.lrScale };
    // As the original: offset = -mean in phase 2; phase 3 divides by the std, then adds the same offset.
    const latentNorm = index === 0 ? { std: 1, offset: 0 } : index === 1 ? { std: 1, offset } : { std, offset };
    return { ...phase, lr: scaled, latentNorm };
  });
}
