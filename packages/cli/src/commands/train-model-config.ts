import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Manifest } from '@dit/data';
import { configFromJson, configToJson, presets, type DiTConfig, type PresetName } from '@dit/model';
import { CliError, EXIT } from '../errors.js';

/** The old name of the 'original' preset, still accepted with a warning for one minor release. */
const DEPRECATED_PRESET = 'seed';

/** Config fields the cache decides, with their config.json and camelCase spellings. */
const DATA_FIELDS = [
  { field: 'inChannels', json: 'in_channels', what: 'latent channels' },
  { field: 'textDim', json: 'text_embed_dim', what: 'text embedding width' },
  { field: 'textLength', json: 'text_length', what: 'text tokens' },
] as const;

export interface TrainModelConfigOptions {
  /** A preset name (default 'original', the original's architecture; 'seed', its old name, still works). */
  preset?: string;
  /** A JSON or YAML file of config fields (config.json keys or camelCase) laid over the preset. */
  modelConfig?: string;
}

async function readModelConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`--model-config ${path}: cannot read it: ${(error as Error).message}`, EXIT.usage);
  }
  try {
    const value: unknown = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected an object of config fields');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`--model-config ${path}: ${(error as Error).message}`, EXIT.usage);
  }
}

/**
 * The architecture to train: a preset, overlaid by a config file; in_channels, text_embed_dim
 * and text_length come from the cache unless the file sets them (and then must agree with it).
 */
export async function resolveTrainModelConfig(
  options: TrainModelConfigOptions,
  manifest: Manifest,
  cacheDir: string,
  warn: (line: string) => void = () => {},
): Promise<DiTConfig> {
  let presetName = options.preset ?? 'original';
  if (presetName === DEPRECATED_PRESET) {
    warn(`--preset ${DEPRECATED_PRESET} is deprecated: the preset is now called 'original' (the old name goes in the next minor release)`);
    presetName = 'original';
  }
  if (!Object.hasOwn(presets, presetName)) throw new CliError(`--preset: expected one of ${Object.keys(presets).join(', ')}, got '${presetName}'`, EXIT.usage);
  const fromFile = options.modelConfig ? await readModelConfigFile(options.modelConfig) : {};
  const [first] = manifest.entries;
  const fromCache: Record<(typeof DATA_FIELDS)[number]['field'], number> = {
    inChannels: first.latentShape[0],
    textDim: first.textShape[1],
    textLength: first.textShape[0],
  };
  const merged: Record<string, unknown> = { ...configToJson(presets[presetName as PresetName]) };
  for (const { field, json, what } of DATA_FIELDS) {
    const given = fromFile[field] ?? fromFile[json];
    if (given !== undefined && given !== fromCache[field]) {
      throw new CliError(`--model-config ${options.modelConfig}: ${json} is ${JSON.stringify(given)}, but the cache ${cacheDir} holds ${fromCache[field]} ${what}`, EXIT.usage);
    }
    merged[json] = fromCache[field];
  }
  Object.assign(merged, fromFile);
  let config: DiTConfig;
  try {
    config = configFromJson(merged, options.modelConfig ?? `--preset ${presetName}`);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  const odd = manifest.entries.find((entry) => entry.latentShape[1] % config.patchSize !== 0 || entry.latentShape[2] % config.patchSize !== 0);
  if (odd) {
    throw new CliError(`${cacheDir}/${odd.file}: latents [${odd.latentShape.join(', ')}] are not multiples of patch_size ${config.patchSize}; use other buckets or patch size`, EXIT.usage);
  }
  return config;
}
