import { readFile } from 'node:fs/promises';
import { listSamplers, type CfgMode } from '@dit/samplers';
import { CliError, EXIT } from '../errors.js';
import { GENERATE_DEFAULTS, generateImages } from './sample-core.js';
import type { CheckpointWeights } from './sample-model.js';

/** `dit sample`'s options as commander (or a --config file) gives them. */
export interface SampleCommandOptions {
  model: string;
  weights?: string;
  prompt: string[];
  prompts?: string;
  negativePrompt?: string;
  textEncoder: string;
  entry: string[];
  vae?: string;
  width?: number;
  height?: number;
  steps: number;
  sampler: string;
  cfg: number;
  cfgMode: string;
  shift: number;
  seed: number;
  batch: number;
  latentStd?: number;
  latentOffset?: number;
  out: string;
}

/** One prompt a line; blank lines and lines starting with # are skipped. */
export async function readPromptsFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`--prompts ${path}: cannot read it: ${(error as Error).message}`, EXIT.usage);
  }
  const prompts = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (prompts.length === 0) throw new CliError(`--prompts ${path}: no prompts in the file (one a line)`, EXIT.usage);
  return prompts;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`--${flag}: expected one of ${allowed.join(', ')}, got '${value}'`, EXIT.usage);
  return value as T;
}

/** `dit sample`: text-to-image and cached-entry-to-image PNGs with their settings. */
export async function sampleCommand(options: SampleCommandOptions, out: (line: string) => void): Promise<number> {
  // Checked here rather than by commander, so that it may come from --config.
  if (typeof options.model !== 'string' || options.model === '') throw new CliError('--model is required (on the command line or in --config)', EXIT.usage);
  if (!listSamplers().includes(options.sampler)) {
    throw new CliError(`--sampler: unknown sampler '${options.sampler}'; registered: ${listSamplers().join(', ')}`, EXIT.usage);
  }
  const prompts = [...(options.prompt ?? []), ...(options.prompts ? await readPromptsFile(options.prompts) : [])];
  const images = await generateImages({
    model: options.model,
    weights: oneOf<CheckpointWeights>('weights', options.weights, ['ema', 'model']),
    prompts,
    negativePrompt: options.negativePrompt,
    textEncoder: options.textEncoder,
    entries: options.entry ?? [],
    vae: options.vae,
    width: options.width,
    height: options.height,
    steps: options.steps,
    sampler: options.sampler,
    cfg: options.cfg,
    cfgMode: oneOf<CfgMode>('cfg-mode', options.cfgMode, ['batched', 'separate']) ?? GENERATE_DEFAULTS.cfgMode,
    shift: options.shift,
    seed: options.seed,
    batch: options.batch,
    latentStd: options.latentStd,
    latentOffset: options.latentOffset,
    outDir: options.out,
    onImage: ({ path, settings }) => out(`${path} (${settings.width}x${settings.height}, seed ${settings.seed}, "${settings.prompt.slice(0, 60)}")`),
  });
  out(`${images.length} image(s) in ${options.out}; settings in the PNG text chunks and the .json beside each`);
  return EXIT.ok;
}
