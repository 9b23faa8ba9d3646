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
  /** Pixel buckets (width x height); the original's three, divided by 8. */
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
  epochs: 300,
  batchSize: 4,
  lrScale: 4,
  validateEvery: 25,
  buckets: [
    { width: 64, height: 64 },
    { width: 48, height: 80 },
    { width: 80, height: 48 },
  ],
  pixelFactor: 4,
  textLength: 32,
  model: { patchSize: 2, hiddenSize: 192, depth: 4, numHeads: 4 },
  sampleSteps: 30,
  guidanceScale: 1.5,
  seed: 0,
};
