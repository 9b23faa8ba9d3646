import type { SingleStreamDiTV2Options } from '@dit/model';

/** Everything the overfit example chooses, in one place. */
export interface OverfitConfig {
  /** The image to learn; its caption is the `.txt` beside it. */
  image: string;
  /** Receives original.png, reconstruction.png, comparison.png and losses.csv. */
  outDir: string;
  /** Optimiser steps (the original: 1000). */
  steps: number;
  /** Learning rate (the original: 1e-4 for its 229M-parameter model; a tiny one takes more). */
  lr: number;
  /** Copies of the image per step, each with its own noise and time. */
  batchSize: number;
  /** Buckets to fit the image into (the original's three, divided by 8), in pixels. */
  buckets: { width: number; height: number }[];
  /** PixelAutoencoder factor: 2x2 pixel patches become 12 latent channels. */
  pixelFactor: number;
  /** Tokens of the caption. */
  textLength: number;
  model: SingleStreamDiTV2Options;
  /** Sampling after training, as the original checked its result: Euler, 50 steps, CFG 1.15. */
  sampleSteps: number;
  guidanceScale: number;
  /** Print the loss every this many steps. */
  printEvery: number;
  seed: number;
}

export const OVERFIT_EXAMPLE_DEFAULTS: Omit<OverfitConfig, 'image' | 'outDir'> = {
  steps: 500,
  lr: 2e-3,
  batchSize: 4,
  buckets: [
    { width: 64, height: 64 },
    { width: 48, height: 80 },
    { width: 80, height: 48 },
  ],
  pixelFactor: 2,
  textLength: 16,
  model: { patchSize: 2, hiddenSize: 128, depth: 2, numHeads: 4 },
  sampleSteps: 50,
  guidanceScale: 1.15,
  printEvery: 50,
  seed: 0,
};
