import * as tf from '@tensorflow/tfjs-core';

// Three spaces a latent lives in (SPEC section 4):
// - VAE latent z: what the VAE encoder produces and the decoder takes.
// - cached latent = z * scalingFactor: what the latent cache stores.
// - model latent x = cached / std + offset: what the network sees as data (x1 at t = 1).

export interface LatentNormalizationOptions {
  /** The VAE's `scaling_factor`, read from its config (0.13025 for EQ-SDXL-VAE). */
  scalingFactor: number;
  /** Divides the cached latent (dataset statistic; 1 = no scaling). */
  std?: number;
  /** Added after dividing by std (dataset statistic; 0 = no offset). */
  offset?: number;
}

export interface LatentNormalizationValues {
  scalingFactor: number;
  std: number;
  offset: number;
}

export const LATENT_NORMALIZATION_DEFAULTS = { std: 1, offset: 0 } as const;

/** std/offset of the original's three training phases (SPEC section 6). */
export const LATENT_NORMALIZATION_PHASES = {
  phase1: { std: 1, offset: 0 },
  phase2: { std: 1, offset: 0.3077 },
  phase3: { std: 1.1908, offset: 0.3077 },
} as const satisfies Record<string, { std: number; offset: number }>;

export type LatentNormalizationPhase = keyof typeof LATENT_NORMALIZATION_PHASES;

/** Maps latents between VAE, cache and model space; each pair of maps are exact inverses. */
export class LatentNormalization implements LatentNormalizationValues {
  readonly scalingFactor: number;
  readonly std: number;
  readonly offset: number;

  constructor(options: LatentNormalizationOptions) {
    const { scalingFactor } = options;
    const std = options.std ?? LATENT_NORMALIZATION_DEFAULTS.std;
    const offset = options.offset ?? LATENT_NORMALIZATION_DEFAULTS.offset;
    if (!(scalingFactor > 0) || !Number.isFinite(scalingFactor)) throw new Error(`LatentNormalization: scalingFactor must be a positive number, got ${scalingFactor}`);
    if (!(std > 0) || !Number.isFinite(std)) throw new Error(`LatentNormalization: std must be a positive number, got ${std}`);
    if (!Number.isFinite(offset)) throw new Error(`LatentNormalization: offset must be finite, got ${offset}`);
    this.scalingFactor = scalingFactor;
    this.std = std;
    this.offset = offset;
    Object.freeze(this);
  }

  /** The normalisation a phase of SPEC section 6 trained with, for a VAE's scaling factor. */
  static forPhase(options: { phase: LatentNormalizationPhase; scalingFactor: number }): LatentNormalization {
    const preset = LATENT_NORMALIZATION_PHASES[options.phase];
    if (!preset) {
      throw new Error(`LatentNormalization.forPhase: phase must be one of ${Object.keys(LATENT_NORMALIZATION_PHASES).join(', ')}, got ${JSON.stringify(options.phase)}`);
    }
    return new LatentNormalization({ scalingFactor: options.scalingFactor, ...preset });
  }

  /** Cached latent (z * scalingFactor) -> model latent: cached / std + offset. */
  toModel(cachedLatent: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(tf.div(cachedLatent, this.std), this.offset));
  }

  /** Model latent -> cached latent: (x - offset) * std. */
  toCached(modelLatent: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.sub(modelLatent, this.offset), this.std));
  }

  /** Model latent -> VAE latent z for the decoder: ((x - offset) * std) / scalingFactor. */
  toVae(modelLatent: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(tf.mul(tf.sub(modelLatent, this.offset), this.std), this.scalingFactor));
  }

  /** VAE latent z (encoder output) -> model latent: z * scalingFactor / std + offset. */
  fromVae(vaeLatent: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(tf.div(tf.mul(vaeLatent, this.scalingFactor), this.std), this.offset));
  }

  toJSON(): LatentNormalizationValues {
    return { scalingFactor: this.scalingFactor, std: this.std, offset: this.offset };
  }
}
