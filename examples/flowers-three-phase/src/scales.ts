import type { Bucket } from '@dit/data';
import { presets, type DiTConfig } from '@dit/model';

export type ScaleName = 'full' | 'tiny';

/**
 * What changes between the faithful run and its CPU-sized rehearsal. Everything else (the
 * schedule's shape, batching, validation, checkpoints, generation) is the same code path.
 */
export interface Scale {
  name: ScaleName;
  /** Image buckets (width x height, pixels). */
  buckets: readonly Bucket[];
  /** The generator's architecture; inChannels, textDim and textLength follow the encoders. */
  model: DiTConfig;
  /** Tokens per caption. */
  textLength: number;
  /** Total epochs when `--epochs` is not given (the full scale runs the schedule as it is). */
  defaultEpochs: number | null;
  /** Default VAE (Hugging Face id or folder); the tiny scale folds pixels instead. */
  vae: string | null;
  /** Space-to-depth factor of the PixelAutoencoder (tiny scale only). */
  pixelFactor: number | null;
  /** Default text encoder; the tiny scale uses a random tiny T5Gemma 2 with the real tokenizer. */
  textEncoder: string | null;
}

/** The original's run (SPEC sections 1, 2, 5): 512 px buckets, the 229M-parameter model, 256 text tokens. */
const full: Scale = {
  name: 'full',
  buckets: [
    { width: 512, height: 512 },
    { width: 384, height: 640 },
    { width: 640, height: 384 },
  ],
  model: { ...presets.original },
  textLength: 256,
  defaultEpochs: null,
  vae: 'KBlueLeaf/EQ-SDXL-VAE',
  pixelFactor: null,
  textEncoder: 'google/t5gemma-2-1b-1b',
};

/**
 * The same script in minutes on a CPU: buckets divided by 8, pixels folded 4x4 into 48
 * channels instead of VAE latents (a 64x64 image becomes 16x16 latents, 64 image tokens
 * against the real run's 1024), a random tiny T5Gemma 2 (64-dim) behind the real Gemma 3
 * tokenizer, 32 text tokens, and the demo's small model.
 */
const tiny: Scale = {
  name: 'tiny',
  buckets: full.buckets.map(({ width, height }) => ({ width: width / 8, height: height / 8 })),
  model: { inChannels: 48, patchSize: 2, hiddenSize: 192, depth: 4, numHeads: 4, textDim: 64, textLength: 32 },
  textLength: 32,
  defaultEpochs: 6,
  vae: null,
  pixelFactor: 4,
  textEncoder: null,
};

export const SCALES: Readonly<Record<ScaleName, Scale>> = Object.freeze({ full, tiny });

export function scaleNamed(name: string): Scale {
  if (!Object.hasOwn(SCALES, name)) throw new Error(`scale must be one of ${Object.keys(SCALES).join(', ')}, got '${name}'`);
  return SCALES[name as ScaleName];
}
