import * as tf from '@tensorflow/tfjs-core';

/**
 * Per-sample loss weights as a function of the training time, the schemes SD3 offers
 * (Esser et al. 2024, section 3.1; diffusers `compute_loss_weighting_for_sd3`), written with the
 * noise level sigma = 1 - t of this package's orientation (t = 0 noise, t = 1 data):
 * - 'none': 1
 * - 'sigma-sqrt': sigma^-2 (diverges at t = 1, so sigma is floored at `minSigma`)
 * - 'cosmap': 2 / (pi (1 - 2 sigma + 2 sigma^2))
 */
export type LossWeightingScheme = 'none' | 'sigma-sqrt' | 'cosmap';

export interface TimestepLossWeightOptions {
  /** Training times [B] in [0, 1]. */
  t: tf.Tensor;
  scheme?: LossWeightingScheme;
  /** Floor on sigma for 'sigma-sqrt'. */
  minSigma?: number;
}

export const TIMESTEP_LOSS_WEIGHT_DEFAULTS = { scheme: 'none', minSigma: 1e-3 } as const satisfies Partial<TimestepLossWeightOptions>;

/** Weights [B] to pass as a loss's `weight`. */
export function timestepLossWeight(options: TimestepLossWeightOptions): tf.Tensor {
  const { t } = options;
  const scheme = options.scheme ?? TIMESTEP_LOSS_WEIGHT_DEFAULTS.scheme;
  const minSigma = options.minSigma ?? TIMESTEP_LOSS_WEIGHT_DEFAULTS.minSigma;
  if (t.rank !== 1) throw new Error(`timestepLossWeight: t must have shape [B], got [${t.shape.join(', ')}]`);
  return tf.tidy(() => {
    const sigma = tf.sub(1, t);
    switch (scheme) {
      case 'none':
        return tf.onesLike(t);
      case 'sigma-sqrt':
        return tf.reciprocal(tf.square(tf.maximum(sigma, minSigma)));
      case 'cosmap':
        return tf.div(2 / Math.PI, tf.add(tf.sub(1, tf.mul(sigma, 2)), tf.mul(tf.square(sigma), 2)));
      default:
        throw new Error(`timestepLossWeight: scheme must be 'none', 'sigma-sqrt' or 'cosmap', got ${JSON.stringify(scheme)}`);
    }
  });
}
