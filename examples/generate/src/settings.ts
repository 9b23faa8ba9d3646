import { GENERATE_DEFAULTS, type ImageSettings } from '@dit/pipeline';

/**
 * The settings block at the top of the original's inference_unified.py. The defaults fit the
 * offline demo's result (`pnpm demo` writes runs/demo): its final/ pipeline folder names its
 * random tiny text encoder and 4x4 pixel "autoencoder"; images are 64x64. For a model trained
 * on the real data its own final/ names T5Gemma 2 and EQ-SDXL-VAE; add `--width 512 --height 512`.
 */
export interface GenerateSettings {
  /** A pipeline folder (a run's final/), a plain model folder, or a run folder (its final/). */
  model: string;
  /** Text-to-image prompts (the original's "text" mode). */
  prompts?: string[];
  /** Encoded as the unconditional text; without it that text is all zeros, as in training. */
  negativePrompt?: string;
  /** Cache entries (.safetensors) to draw from their text, at their size (the original's "file" mode). */
  entries?: string[];
  /** Replace the folder's parts or normalisation (specs: hub id, folder, `random:tiny:0`, `pixel:4`). */
  textEncoder?: string;
  vae?: string;
  latentStd?: number;
  latentOffset?: number;
  width?: number;
  height?: number;
  steps?: number;
  sampler?: string;
  cfg?: number;
  shift?: number;
  /** Image k of every prompt starts from the noise of seed + k. */
  seed?: number;
  /** Images per prompt or entry. */
  batch?: number;
  outDir: string;
  /** Also write `grid.png` with every image, one row per prompt or entry. Default true. */
  grid?: boolean;
  onImage?: (image: { path: string; settings: ImageSettings }) => void;
}

/** The original's prompt (its text mode). */
export const ORIGINAL_PROMPT =
  'An extreme macro shot of a single, vibrant pink carnation, featuring densely layered, ruffled petals with finely serrated, delicate, translucent edges, displaying bold red veining against a pale white base, the center is a cluster of yellow anthers with visible pollen, set against a dark, blurred background under soft studio lighting with a very shallow depth of field.';

/** The original's sampling settings (RK4, 50 steps, CFG 1.5) at the demo's size. */
export const EXAMPLE_DEFAULTS = {
  model: 'runs/demo',
  width: 64,
  height: 64,
  steps: GENERATE_DEFAULTS.steps,
  sampler: GENERATE_DEFAULTS.sampler,
  cfg: GENERATE_DEFAULTS.guidanceScale,
  seed: 0,
  batch: 1,
  outDir: 'runs/generate',
  grid: true,
} as const satisfies Partial<GenerateSettings>;
