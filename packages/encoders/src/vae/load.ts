import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, TORCH_TO_SAFETENSORS_PYTHON } from '@dit/core';
import { HubError } from '../hub/errors.js';
import { resolveModelFiles, type ResolveModelFilesOptions } from '../hub/resolve.js';
import { readAutoencoderKLConfig, type AutoencoderKLConfig } from './config.js';
import { VaeWeights } from './weights.js';

/** Where to find an AutoencoderKL: hub options plus the diffusers folder conventions. */
export interface AutoencoderKLSourceOptions extends Omit<ResolveModelFilesOptions, 'files'> {
  /** Folder inside the repository, e.g. 'vae' for a full pipeline repository. Default: the root. */
  subfolder?: string;
  /** Weights variant, e.g. 'fp16' for diffusion_pytorch_model.fp16.safetensors. Default: full precision, else fp16. */
  variant?: string;
}

const WEIGHTS = 'diffusion_pytorch_model';

/** Weight files in the order they are preferred (single file before a shard index). */
export function weightCandidates(variant?: string): string[] {
  const named = (v?: string) => (v ? [`${WEIGHTS}.${v}.safetensors`, `${WEIGHTS}.safetensors.index.${v}.json`] : [`${WEIGHTS}.safetensors`, `${WEIGHTS}.safetensors.index.json`]);
  return variant ? named(variant) : [...named(), ...named('fp16')];
}

/** For a local folder holding only diffusers' PyTorch weights (.bin, a pickle): how to convert them. */
function pickleNote(folder: string, prefix: string): string {
  const bin = `${prefix}${WEIGHTS}.bin`;
  if (!existsSync(join(folder, bin))) return '';
  const lines = TORCH_TO_SAFETENSORS_PYTHON.replace(/"model\.pt"/g, `"${WEIGHTS}.bin"`).replace(/"model\.safetensors"/g, `"${WEIGHTS}.safetensors"`);
  return `; it has ${bin}, PyTorch's pickle format, which is not read here: convert it with Python:\n${lines
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}`;
}

/** Finds config.json and the weights (a single file, or an index and its shards) in a folder or repository. */
export async function resolveAutoencoderKLFiles(idOrPath: string, options: AutoencoderKLSourceOptions = {}): Promise<{ configPath: string; weightsPath: string }> {
  const { subfolder, variant, ...hub } = options;
  const prefix = subfolder ? `${subfolder.replace(/^\/+|\/+$/g, '')}/` : '';
  const configName = `${prefix}config.json`;
  const candidates = weightCandidates(variant).map((name) => prefix + name);
  const pick = (listing: string[]) => [configName, candidates.find((name) => listing.includes(name)) ?? candidates[0]];
  let resolved;
  try {
    resolved = await resolveModelFiles(idOrPath, { ...hub, files: pick });
  } catch (error) {
    if (error instanceof HubError && (error.kind === 'missing-local-file' || error.kind === 'entry-not-found')) {
      throw new HubError(error.kind, `${error.message} (AutoencoderKL needs ${configName} and one of: ${candidates.join(', ')})${pickleNote(idOrPath, prefix)}`, error.status);
    }
    throw error;
  }
  const [, weightsName] = Object.keys(resolved.files);
  const weightsPath = resolved.files[weightsName];
  if (weightsName.endsWith('.json')) {
    // A sharded checkpoint: fetch the shards the index names, beside it.
    const index = JSON.parse(readFileSync(weightsPath, 'utf8')) as { weight_map?: Record<string, string> };
    const shards = [...new Set(Object.values(index.weight_map ?? {}))].map((shard) => prefix + shard);
    if (shards.length === 0) throw new Error(`${weightsPath}: the shard index has no "weight_map"`);
    await resolveModelFiles(idOrPath, { ...hub, revision: resolved.commit ?? hub.revision, files: shards });
  }
  return { configPath: resolved.files[configName], weightsPath };
}

/** Reads config and weights (strictly: every tensor present, none extra, shapes right). */
export async function readAutoencoderKL(configPath: string, weightsPath: string): Promise<{ config: AutoencoderKLConfig; weights: VaeWeights }> {
  const config = readAutoencoderKLConfig(configPath);
  const source = await openSafetensors(weightsPath);
  try {
    return { config, weights: await VaeWeights.load(source, config) };
  } finally {
    await source.close();
  }
}
