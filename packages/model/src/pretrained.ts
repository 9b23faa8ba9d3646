import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openSafetensors, writeJsonAtomic } from '@dit/core';
import { configFromJson, configToJson, DiTConfigError, type DiTConfig } from './config.js';
import { PARAMETER_SLOTS, type HasParameterSlots, type ParameterSlot } from './internals/parameters.js';
import { loadWeightsInto, saveWeightsFrom, type LoadWeightsOptions, type SaveWeightsOptions } from './weights.js';

/** File names of a saved model folder (diffusers' layout). */
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

/**
 * Finds config and weights: `path` is a folder with config.json and model.safetensors (or one
 * .safetensors file / a shard index), or a weights file with config.json beside it. Without
 * config.json, the `dit_config` metadata that saveWeights writes is used.
 */
async function readConfig(path: string): Promise<{ config: DiTConfig; weightsPath: string }> {
  if (!existsSync(path)) throw new DiTConfigError(`${path}: no such file or folder`);
  const isDir = statSync(path).isDirectory();
  const folder = isDir ? path : dirname(path);
  const weightsPath = isDir ? (existsSync(join(path, WEIGHTS_FILE)) ? join(path, WEIGHTS_FILE) : path) : path;
  const configPath = join(folder, CONFIG_FILE);
  if (existsSync(configPath)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(configPath, 'utf8'));
    } catch (error) {
      throw new DiTConfigError(`${configPath}: not valid JSON: ${(error as Error).message}`);
    }
    return { config: configFromJson(json, configPath), weightsPath };
  }
  const source = await openSafetensors(weightsPath);
  try {
    const embedded = source.metadata.dit_config;
    if (!embedded) {
      throw new DiTConfigError(`${folder}: no ${CONFIG_FILE}, and ${weightsPath} carries no dit_config metadata; the architecture (e.g. num_heads) cannot be read from the weights alone`);
    }
    return { config: configFromJson(JSON.parse(embedded), `${weightsPath} (dit_config metadata)`), weightsPath };
  } finally {
    await source.close();
  }
}

export async function loadPretrained<M extends HasParameterSlots & { dispose(): void }>(
  path: string,
  options: LoadWeightsOptions,
  build: (config: DiTConfig) => M,
): Promise<M> {
  const { config, weightsPath } = await readConfig(path);
  const model = build(config);
  try {
    await loadWeightsInto(model[PARAMETER_SLOTS](), weightsPath, options);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

export async function savePretrainedModel(slots: ParameterSlot[], config: DiTConfig, dir: string, options: SaveWeightsOptions): Promise<void> {
  await saveWeightsFrom(slots, config, join(dir, WEIGHTS_FILE), options);
  await writeJsonAtomic(join(dir, CONFIG_FILE), configToJson(config));
}
