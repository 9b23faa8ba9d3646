import type { SingleStreamDiTV2Options } from '@dit/model';

/** Everything the demo chooses, in one place. Sizes are small enough for 2 CPU cores. */
export interface DemoConfig {
  /** Output folder (samples, grid, loss curve, checkpoints, logs). */
  outDir: string;
  /** Bundled images + captions. */
  dataDir: string;
  /** Total epochs of the scaled-down three-phase schedule. */
  epochs: number;
  /** Images per optimiser step. */
  batchSize: number;
  /** Learning rates of the original's schedule times this (a tiny model learns faster). */
  lrScale: number;
  /** Validation samples every this many epochs. */
  validateEvery: number;
  /** Pixel buckets (width x height): the original's three shapes, divided by 16. */
  buckets: { width: number; height: number }[];
  /** Space-to-depth factor of the PixelAutoencoder (the demo trains on folded pixels). */
  pixelFactor: number;
  /** Tokens per caption. */
  textLength: number;
  model: SingleStreamDiTV2Options;
  /** Final generation: steps and guidance. */
  sampleSteps: number;
  guidanceScale: number;
  seed: number;
}

export const DEMO_DEFAULTS: Omit<DemoConfig, 'outDir' | 'dataDir'> = {
  epochs: 600,
  batchSize: 4,
  lrScale: 8,
  validateEvery: 100,
  buckets: [
    { width: 32, height: 32 },
    { width: 24, height: 40 },
    { width: 40, height: 24 },
  ],
  pixelFactor: 2,
  textLength: 24,
  model: { patchSize: 2, hiddenSize: 128, depth: 4, numHeads: 4 },
  sampleSteps: 30,
  guidanceScale: 1.5,
  seed: 0,
};
