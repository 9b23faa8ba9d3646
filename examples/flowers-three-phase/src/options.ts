import { withDefaults } from '@dit/core';
import { join } from 'node:path';
import type { BackendName } from '@dit/core';
import type { DiTConfig } from '@dit/model';
import { scaleNamed, type ScaleName } from './scales.js';

export type ScheduleName = 'original' | 'as-logged';
export type NormalisationSource = 'preset' | 'from-cache';
/** 'load': phase 1 mirrors each sample with probability 0.5 at load time (one cache entry per image,
 *  24 steps an epoch on flowers-200, as the original's log); 'copies': the cache also holds a
 *  mirrored copy of every image, which phase 1 draws from (twice the steps). */
export type FlipSource = 'load' | 'copies';

export interface FlowersOptions {
  /** Folder of N.png + N.txt pairs (flowers-200). */
  dataset: string;
  /** Run folder: cache, logs, checkpoints, samples, final weights, generated images, report. Default 'runs/flowers'. */
  out?: string;
  /** Latent cache folder. Default `<out>/cache`. */
  cache?: string;
  /** 'full' (the original's run) or 'tiny' (the same script on a CPU in minutes). Default 'full'. */
  scale?: ScaleName;
  /** VAE: Hugging Face id or local folder. Default KBlueLeaf/EQ-SDXL-VAE (full scale). */
  vae?: string;
  /** T5Gemma 2: Hugging Face id or local folder. Default google/t5gemma-2-1b-1b (gated; HF_TOKEN). */
  textEncoder?: string;
  /** Phase 2/3 normalisation: the original's 0.3077 / 1.1908, or this cache's statistics. Default 'preset'. */
  normalisation?: NormalisationSource;
  /** `originalSchedule` (SPEC section 6) or `originalScheduleAsLogged` (the LRs its log shows). Default 'original'. */
  schedule?: ScheduleName;
  /** Total epochs: the schedule scaled to this many (at least one per phase). Default: 1201 (full), 6 (tiny). */
  epochs?: number;
  /** Default 8 (SPEC section 5). */
  batchSize?: number;
  /** Default 'load'. */
  flip?: FlipSource;
  /** Default 'adamw' (float32, fits 16 GB); 'adamw-8bit' is the original's bitsandbytes optimiser. */
  optimizer?: 'adamw' | 'adamw-8bit';
  /** Memory to plan the training step for. Default '16GB' (the original's GPU). */
  memoryBudget?: string;
  /** Validation samples (raw and EMA) every this many epochs. Default 5. */
  validateEvery?: number;
  /** Euler steps of a validation sample. Default 30 (the original's validation). */
  validationSteps?: number;
  /** Checkpoint every this many epochs (and at every phase end). Default 10. */
  checkpointEvery?: number;
  /** Keep checkpoints of epochs that are multiples of this for good: 300 keeps the phase ends (600, 900, 1200). Default 300. */
  keepEvery?: number;
  /** Prompts generated from the final EMA weights. Default: five flowers in the dataset's caption style. */
  prompts?: readonly string[];
  /** Final generation: sampler, steps and guidance. Default 'rk4', 50, 1.5 (the original's inference defaults). */
  sampler?: string;
  sampleSteps?: number;
  guidanceScale?: number;
  /** Seeds preprocessing, training and generation. Default 0. */
  seed?: number;
  /** Continue from the newest checkpoint in `out`. Default false. */
  resume?: boolean;
  /** Print the plan, memory and time estimates; train nothing. Default false. */
  dryRun?: boolean;
  /**
   * Dry run: seconds it may spend timing training steps on this backend for its time per epoch;
   * a scaled proxy (fewer blocks, batch 1) is timed when the full step would take longer. 0 skips
   * the timing. Default 60.
   */
  timeBudget?: number;
  /** The backend selectBackend chose (`BackendChoice.name`), for the plan. Default: read from tfjs (see `backendInUse`). */
  backend?: BackendName;
  /** Stop after the current step with a checkpoint (see `stopOnSignals`). */
  signal?: AbortSignal;
  /** Where the plan and summaries go. Default console.log. */
  log?: (line: string) => void;
  /** Progress lines on stderr while preprocessing and training. Default true. */
  progress?: boolean;
  /** Architecture overrides on top of the scale's model (API only). */
  model?: Partial<DiTConfig>;
}

export const DEFAULT_PROMPTS: readonly string[] = Object.freeze([
  'A macro shot of a yellow dandelion flower head, having numerous thin, radiating petals, the center is a dense cluster of yellow florets, the background is blurred green foliage, natural daylight with shallow depth of field.',
  'A macro shot of a poppy, having vibrant red petals with smooth, slightly ruffled edges, the center is a dark, spiky stamen cone surrounded by white anthers, the background is blurred green foliage, under natural daylight with shallow depth of field.',
  'A macro shot of a bellflower, having purple, bell-shaped petals with smooth, slightly translucent edges, the center is pale lavender with yellow anthers and pollen grains, the background is out-of-focus green foliage, natural daylight with shallow depth of field.',
  'A close-up of a lotus flower, having overlapping pink petals with pale pink fading to white at the edges, the center is unopened, the background is large green lance-shaped leaves, natural sunlight with shallow depth of field.',
  'A macro shot of a coneflower, having delicate, overlapping pale pink petals with slightly serrated edges, the center is a conical disk with dense orange-brown stamens, the background is green leaves and brown soil, natural sunlight with shallow depth of field.',
]);

export const FLOWERS_DEFAULTS = {
  out: 'runs/flowers',
  scale: 'full',
  normalisation: 'preset',
  schedule: 'original',
  batchSize: 8,
  flip: 'load',
  optimizer: 'adamw',
  memoryBudget: '16GB',
  validateEvery: 5,
  validationSteps: 30,
  checkpointEvery: 10,
  keepEvery: 300,
  prompts: DEFAULT_PROMPTS,
  sampler: 'rk4',
  sampleSteps: 50,
  guidanceScale: 1.5,
  seed: 0,
  resume: false,
  dryRun: false,
  timeBudget: 60,
  progress: true,
} as const satisfies Partial<FlowersOptions>;

export type ResolvedFlowersOptions = Required<Omit<FlowersOptions, 'cache' | 'vae' | 'textEncoder' | 'epochs' | 'signal' | 'model' | 'backend'>> &
  Pick<FlowersOptions, 'vae' | 'textEncoder' | 'epochs' | 'signal' | 'model' | 'backend'> & { cache: string };

/** Fills the defaults and checks every field, naming the one at fault. */
export function resolveFlowersOptions(options: FlowersOptions): ResolvedFlowersOptions {
  const flowers = withDefaults({ ...FLOWERS_DEFAULTS, log: (line: string) => console.log(line) }, options) as ResolvedFlowersOptions;
  if (typeof flowers.dataset !== 'string' || flowers.dataset === '') throw new Error('dataset: give the folder of N.png + N.txt pairs (--dataset)');
  scaleNamed(flowers.scale);
  const oneOf = (field: keyof FlowersOptions, allowed: readonly string[]) => {
    const value = flowers[field as keyof ResolvedFlowersOptions];
    if (!allowed.includes(value as string)) throw new Error(`${field} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}`);
  };
  oneOf('normalisation', ['preset', 'from-cache']);
  oneOf('schedule', ['original', 'as-logged']);
  oneOf('flip', ['load', 'copies']);
  oneOf('optimizer', ['adamw', 'adamw-8bit']);
  for (const field of ['batchSize', 'validateEvery', 'validationSteps', 'checkpointEvery', 'keepEvery', 'sampleSteps', 'epochs'] as const) {
    const value = flowers[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new Error(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (!(flowers.timeBudget >= 0 && Number.isFinite(flowers.timeBudget))) throw new Error(`timeBudget must be a number of seconds >= 0, got ${JSON.stringify(flowers.timeBudget)}`);
  if (!Number.isInteger(flowers.seed)) throw new Error(`seed must be an integer, got ${flowers.seed}`);
  if (!(flowers.guidanceScale > 0 && Number.isFinite(flowers.guidanceScale))) throw new Error(`guidanceScale must be a finite number > 0, got ${flowers.guidanceScale}`);
  if (!Array.isArray(flowers.prompts) || flowers.prompts.some((p) => typeof p !== 'string' || p.trim() === '')) throw new Error('prompts must be non-empty strings');
  return { ...flowers, cache: options.cache ?? join(flowers.out, 'cache') };
}
