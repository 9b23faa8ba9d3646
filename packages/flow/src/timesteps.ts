import * as tf from '@tensorflow/tfjs-core';
import { toRng, type Rng, type RngLike } from '@dit/core';
import { shiftTime } from './timestep-shift.js';

/**
 * Distributions of the training time t (t = 0 noise, t = 1 data). The SD3 ones
 * (Esser et al. 2024, section 3.1) are defined on the noise level sigma; here t = 1 - sigma.
 * - uniform: t ~ U(0, 1), as the original.
 * - logit-normal: u ~ N(mean, std), sigma = sigmoid(u).
 * - mode: u ~ U(0, 1), sigma = 1 - u - scale (cos^2(pi u / 2) - 1 + u); scale in [-1, 2 / (pi - 2)]
 *   keeps the map monotone; scale 0 is uniform, larger puts more mass in the middle.
 * - cosmap: u ~ U(0, 1), sigma = 1 - 1 / (tan(pi u / 2) + 1).
 */
export type TimestepDistribution =
  | { kind: 'uniform' }
  | { kind: 'logit-normal'; mean?: number; std?: number }
  | { kind: 'mode'; scale?: number }
  | { kind: 'cosmap' };

export interface SampleTimestepsOptions {
  batchSize: number;
  /** Seed or generator. Pass one `Rng` across calls for a stream; the same seed gives the same times. */
  rng: RngLike;
  distribution?: TimestepDistribution;
  /** Shift applied after drawing (see `shiftTime`); 1 leaves the times as drawn. */
  shift?: number;
}

/** SD3 defaults: logit-normal (0, 1), mode scale 1.29. */
export const TIMESTEP_DEFAULTS = { logitNormalMean: 0, logitNormalStd: 1, modeScale: 1.29, shift: 1 } as const;

const MAX_MODE_SCALE = 2 / (Math.PI - 2);

/** Draws `batchSize` training times as numbers in [0, 1]. */
export function sampleTimestepValues(options: SampleTimestepsOptions): number[] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`sampleTimesteps: batchSize must be a positive integer, got ${batchSize}`);
  const distribution = options.distribution ?? { kind: 'uniform' };
  const shift = options.shift ?? TIMESTEP_DEFAULTS.shift;
  const rng = toRng(options.rng);
  const draw = noiseLevelSampler(distribution, rng);
  return Array.from({ length: batchSize }, () => shiftTime(1 - draw(), shift));
}

/** Draws `batchSize` training times as a float32 tensor [B]. */
export function sampleTimesteps(options: SampleTimestepsOptions): tf.Tensor1D {
  return tf.tensor1d(sampleTimestepValues(options), 'float32');
}

/** Returns a function drawing one noise level sigma = 1 - t. */
function noiseLevelSampler(distribution: TimestepDistribution, rng: Rng): () => number {
  switch (distribution.kind) {
    case 'uniform':
      return () => rng.next();
    case 'logit-normal': {
      const mean = distribution.mean ?? TIMESTEP_DEFAULTS.logitNormalMean;
      const std = distribution.std ?? TIMESTEP_DEFAULTS.logitNormalStd;
      if (!Number.isFinite(mean)) throw new Error(`sampleTimesteps: distribution.mean must be finite, got ${mean}`);
      if (!(std > 0) || !Number.isFinite(std)) throw new Error(`sampleTimesteps: distribution.std must be positive, got ${std}`);
      return () => 1 / (1 + Math.exp(-rng.normal(mean, std)));
    }
    case 'mode': {
      const scale = distribution.scale ?? TIMESTEP_DEFAULTS.modeScale;
      if (!(scale >= -1 && scale <= MAX_MODE_SCALE)) {
        throw new Error(`sampleTimesteps: distribution.scale must lie in [-1, ${MAX_MODE_SCALE.toFixed(4)}] to keep the map monotone, got ${scale}`);
      }
      return () => {
        const u = rng.next();
        return 1 - u - scale * (Math.cos((Math.PI * u) / 2) ** 2 - 1 + u);
      };
    }
    case 'cosmap':
      return () => 1 - 1 / (Math.tan((Math.PI * rng.next()) / 2) + 1);
    default:
      throw new Error(
        `sampleTimesteps: distribution.kind must be 'uniform', 'logit-normal', 'mode' or 'cosmap', got ${JSON.stringify((distribution as { kind: unknown }).kind)}`,
      );
  }
}
