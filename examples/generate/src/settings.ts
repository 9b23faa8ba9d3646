import { GENERATE_DEFAULTS, type GenerateOptions } from '@dit/cli';

/**
 * The settings block at the top of the original's inference_unified.py, as defaults that fit
 * the offline demo's result (`pnpm demo` writes runs/demo): its random tiny text encoder, its
 * 4x4 pixel "autoencoder", 64x64 images. For a model trained on the real data use
 * `--text-encoder google/t5gemma-2-1b-1b --vae KBlueLeaf/EQ-SDXL-VAE --width 512 --height 512`.
 */
export interface GenerateSettings extends GenerateOptions {
  /** Also write `grid.png` with every image, one row per prompt or entry. Default true. */
  grid?: boolean;
}

/** The original's prompt (its text mode) and sampling settings: RK4, 50 steps, CFG 1.5. */
export const ORIGINAL_PROMPT =
  'An extreme macro shot of a single, vibrant pink carnation, featuring densely layered, ruffled petals with finely serrated, delicate, translucent edges, displaying bold red veining against a pale white base, the center is a cluster of yellow anthers with visible pollen, set against a dark, blurred background under soft studio lighting with a very shallow depth of field.';

export const EXAMPLE_DEFAULTS = {
  model: 'runs/demo',
  textEncoder: 'random:tiny:0',
  vae: 'pixel:4',
  width: 64,
  height: 64,
  steps: GENERATE_DEFAULTS.steps,
  sampler: GENERATE_DEFAULTS.sampler,
  cfg: GENERATE_DEFAULTS.cfg,
  seed: 0,
  batch: 1,
  outDir: 'runs/generate',
  grid: true,
} as const satisfies Partial<GenerateSettings>;
