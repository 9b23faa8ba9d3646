import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { withDefaults, writeJsonAtomic } from '@dit/core';
import { LATENT_NORMALIZATION_IDENTITY, SAMPLING_DEFAULTS, type LatentNormalizationValues, type SamplingDefaults } from './options.js';

/** The file that makes a model folder a pipeline folder, beside config.json and model.safetensors. */
export const PIPELINE_FILE = 'pipeline.json';
export const PIPELINE_FORMAT = 'dit-pipeline';
export const PIPELINE_VERSION = 1;

/**
 * `pipeline.json`: what a pipeline needs besides the model's own config.json + model.safetensors.
 * The text encoder and autoencoder are referenced, not copied: by a spec that `loadTextEncoder` /
 * `loadAutoencoder` take (a Hugging Face id, a folder - relative to the pipeline folder or not -,
 * `random:tiny:0`, `pixel:4`), or null for none.
 */
export interface PipelineIndex {
  format: typeof PIPELINE_FORMAT;
  version: typeof PIPELINE_VERSION;
  textEncoder: string | null;
  autoencoder: string | null;
  latentNormalization: LatentNormalizationValues;
  sampling: SamplingDefaults;
}

/** What `writePipelineIndex` takes: the index without its format fields, the sampling settings partly. */
export interface PipelineIndexInput {
  textEncoder: string | null;
  autoencoder: string | null;
  latentNormalization?: Partial<LatentNormalizationValues>;
  sampling?: Partial<SamplingDefaults>;
}

const TOP_KEYS = ['format', 'version', 'textEncoder', 'autoencoder', 'latentNormalization', 'sampling'];

function fail(path: string, field: string, message: string): never {
  throw new Error(`${path}: ${field} ${message}`);
}

function optionalSpec(path: string, field: string, value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value === '') fail(path, field, `must be a spec string (hub id, folder, random:..., pixel:...) or null, got ${JSON.stringify(value)}`);
  return value;
}

/** Checks latent normalisation values, naming the field at fault in `where`. */
export function checkLatentNormalization(values: Partial<LatentNormalizationValues>, where: (field: string, message: string) => never): LatentNormalizationValues {
  const std = values.std ?? LATENT_NORMALIZATION_IDENTITY.std;
  const offset = values.offset ?? LATENT_NORMALIZATION_IDENTITY.offset;
  if (typeof std !== 'number' || !(std > 0) || !Number.isFinite(std)) where('std', `must be a finite number > 0, got ${JSON.stringify(values.std)}`);
  if (typeof offset !== 'number' || !Number.isFinite(offset)) where('offset', `must be a finite number, got ${JSON.stringify(values.offset)}`);
  return { std, offset };
}

/** Checks sampling defaults (filling the missing ones), naming the field at fault in `where`. */
export function checkSamplingDefaults(values: Partial<SamplingDefaults>, where: (field: string, message: string) => never): SamplingDefaults {
  const known = Object.keys(SAMPLING_DEFAULTS);
  const unknown = Object.keys(values).filter((key) => !known.includes(key));
  if (unknown.length > 0) where(unknown[0], `is not a sampling setting (known: ${known.join(', ')})`);
  const s = withDefaults(SAMPLING_DEFAULTS, values) as SamplingDefaults;
  for (const field of ['steps', 'width', 'height'] as const) {
    if (!Number.isInteger(s[field]) || s[field] < 1) where(field, `must be a positive integer, got ${JSON.stringify(s[field])}`);
  }
  if (typeof s.sampler !== 'string' || s.sampler === '') where('sampler', `must be a sampler name, got ${JSON.stringify(s.sampler)}`);
  if (typeof s.guidanceScale !== 'number' || !Number.isFinite(s.guidanceScale)) where('guidanceScale', `must be a finite number, got ${JSON.stringify(s.guidanceScale)}`);
  if (s.cfgMode !== 'batched' && s.cfgMode !== 'separate') where('cfgMode', `must be 'batched' or 'separate', got ${JSON.stringify(s.cfgMode)}`);
  if (typeof s.shift !== 'number' || !(s.shift > 0) || !Number.isFinite(s.shift)) where('shift', `must be a finite number > 0, got ${JSON.stringify(s.shift)}`);
  return s;
}

/** Reads `<dir>/pipeline.json`, or null when there is none (a plain model folder). */
export async function readPipelineIndex(dir: string): Promise<PipelineIndex | null> {
  const path = join(dir, PIPELINE_FILE);
  if (!existsSync(path)) return null;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${path}: expected a JSON object`);
  if (json.format !== PIPELINE_FORMAT) fail(path, 'format', `must be '${PIPELINE_FORMAT}', got ${JSON.stringify(json.format)}`);
  if (json.version !== PIPELINE_VERSION) fail(path, 'version', `${JSON.stringify(json.version)} is not supported (this @dit/pipeline reads version ${PIPELINE_VERSION})`);
  const unknown = Object.keys(json).filter((key) => !TOP_KEYS.includes(key));
  if (unknown.length > 0) fail(path, unknown[0], `is not a field of ${PIPELINE_FILE} (known: ${TOP_KEYS.join(', ')})`);
  const object = (field: string): Record<string, unknown> => {
    const value = json[field] ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, field, `must be an object, got ${JSON.stringify(value)}`);
    return value as Record<string, unknown>;
  };
  return {
    format: PIPELINE_FORMAT,
    version: PIPELINE_VERSION,
    textEncoder: optionalSpec(path, 'textEncoder', json.textEncoder ?? null),
    autoencoder: optionalSpec(path, 'autoencoder', json.autoencoder ?? null),
    latentNormalization: checkLatentNormalization(object('latentNormalization'), (field, message) => fail(path, `latentNormalization.${field}`, message)),
    sampling: checkSamplingDefaults(object('sampling'), (field, message) => fail(path, `sampling.${field}`, message)),
  };
}

/** Writes `<dir>/pipeline.json` (atomically); the model's files are written by `SingleStreamDiTV2.savePretrained`. */
export async function writePipelineIndex(dir: string, input: PipelineIndexInput): Promise<PipelineIndex> {
  const path = join(dir, PIPELINE_FILE);
  const index: PipelineIndex = {
    format: PIPELINE_FORMAT,
    version: PIPELINE_VERSION,
    textEncoder: optionalSpec(path, 'textEncoder', input.textEncoder),
    autoencoder: optionalSpec(path, 'autoencoder', input.autoencoder),
    latentNormalization: checkLatentNormalization(input.latentNormalization ?? {}, (field, message) => fail(path, `latentNormalization.${field}`, message)),
    sampling: checkSamplingDefaults(input.sampling ?? {}, (field, message) => fail(path, `sampling.${field}`, message)),
  };
  await writeJsonAtomic(path, index);
  return index;
}

/** A part's spec as recorded, with a relative folder inside the pipeline folder taken from there. */
export function resolvePartSpec(dir: string, spec: string): string {
  return !isAbsolute(spec) && existsSync(join(dir, spec)) ? join(dir, spec) : spec;
}
