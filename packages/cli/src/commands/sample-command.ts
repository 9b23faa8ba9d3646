import { readFile } from 'node:fs/promises';
import { listSamplers, type CfgMode } from '@dit/samplers';
import { CliError, EXIT } from '../errors.js';
import { sampleImages } from './sample-images.js';
import type { CheckpointWeights } from './sample-source.js';

/** `dit sample`'s options as commander (or a --config file) gives them; sampling settings left out come from the model folder's pipeline.json. */
export interface SampleCommandOptions {
  model: string;
  weights?: string;
  prompt: string[];
  prompts?: string;
  negativePrompt?: string;
  textEncoder?: string;
  entry: string[];
  vae?: string;
  width?: number;
  height?: number;
  steps?: number;
  sampler?: string;
  cfg?: number;
  cfgMode?: string;
  shift?: number;
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

function positiveInteger(flag: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new CliError(`--${flag}: expected a positive integer, got ${value}`, EXIT.usage);
}

/** `dit sample`: maps the flags onto a `DiTPipeline` and writes PNGs with their settings. */
export async function sampleCommand(options: SampleCommandOptions, out: (line: string) => void): Promise<number> {
  // Checked here rather than by commander, so that it may come from --config.
  if (typeof options.model !== 'string' || options.model === '') throw new CliError('--model is required (on the command line or in --config)', EXIT.usage);
  if (options.sampler !== undefined && !listSamplers().includes(options.sampler)) {
    throw new CliError(`--sampler: unknown sampler '${options.sampler}'; registered: ${listSamplers().join(', ')}`, EXIT.usage);
  }
  positiveInteger('steps', options.steps);
  positiveInteger('batch', options.batch);
  const prompts = [...(options.prompt ?? []), ...(options.prompts ? await readPromptsFile(options.prompts) : [])];
  const images = await sampleImages({
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
    cfgMode: oneOf<CfgMode>('cfg-mode', options.cfgMode, ['batched', 'separate']),
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
