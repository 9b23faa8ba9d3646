import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors } from '@dit/core';
import { bucketKey, MANIFEST_FILE, readManifest, REPORT_FILE, type CacheSettings } from '@dit/data';
import { configFromJson, countParametersExact, CONFIG_FILE, WEIGHTS_FILE, type DiTConfig } from '@dit/model';
import { CHECKPOINT_FILES, readCheckpointState, scanCheckpoints, trainedLatentNorm, type TrainedLatentNorm, type TrainPosition } from '@dit/train';
import { readPipelineIndex, type PipelineIndex } from '@dit/pipeline';
import { CliError, EXIT } from '../errors.js';
import { foreignFileNote } from '../foreign-files.js';

export interface FileSize {
  name: string;
  bytes: number;
}

export interface SafetensorsInfo {
  kind: 'safetensors';
  path: string;
  bytes: number;
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: number[] }[];
  /** Elements over all tensors (exact below 2^53; `parametersExact` always). */
  parameters: number;
  /** The same count as exact decimal digits. */
  parametersExact: string;
}

export interface ModelInfo {
  kind: 'model';
  path: string;
  config: DiTConfig;
  parameters: number;
  /** The same count as exact decimal digits (configs past 2^53 parameters). */
  parametersExact: string;
  files: FileSize[];
  /** The folder's pipeline.json (a pipeline folder: a run's final/, or `DiTPipeline.savePretrained`), else null. */
  pipeline: PipelineIndex | null;
}

export interface CheckpointInfo {
  kind: 'checkpoint';
  path: string;
  config: DiTConfig;
  parameters: number;
  parametersExact: string;
  files: FileSize[];
  reason: string;
  savedAt: string;
  position: TrainPosition;
  completedEpoch: number | null;
  lr: number;
  /** The phase the next step trains (null when the schedule is done) and the normalisation the weights were trained with. */
  phase: { name: string; epochs: [number, number]; loss: string } | null;
  latentNorm: TrainedLatentNorm;
  ema: { decay: number } | null;
  counters: { skippedSteps: number; imagesSeen: number; trainSeconds: number };
  training: Record<string, unknown>;
}

export interface CacheInfo {
  kind: 'cache';
  path: string;
  updatedAt: string;
  entries: number;
  flipped: number;
  /** Entries per bucket key ('512x512'), with their latent shape. */
  buckets: { bucket: string; entries: number; latentShape: number[] }[];
  textShape: number[];
  settings: CacheSettings;
  /** Sum of the entry files' sizes. */
  bytes: number;
  /** Failed sources in preprocess-report.json, when there is one. */
  failed: number | null;
}

export interface RunInfo {
  kind: 'run';
  path: string;
  final: ModelInfo | null;
  checkpoints: { name: string; reason: string; step: number; epoch: number; phase: string }[];
  /** Checkpoint folders that fail the structural checks (no tensor data read), with the reason. */
  damaged: { name: string; problem: string }[];
  /** Rows of log.csv (steps logged). */
  loggedSteps: number;
}

export type PathInfo = SafetensorsInfo | ModelInfo | CheckpointInfo | CacheInfo | RunInfo;

async function fileSizes(dir: string): Promise<FileSize[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: (await stat(join(dir, name))).size })));
}

async function readModelConfig(dir: string): Promise<DiTConfig> {
  const path = join(dir, CONFIG_FILE);
  try {
    return configFromJson(JSON.parse(await readFile(path, 'utf8')), path);
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message.replace(`${path}: `, '')}`);
  }
}

/** A count as a JSON number (exact below 2^53) and as exact digits. */
function counted(count: bigint): { parameters: number; parametersExact: string } {
  return { parameters: Number(count), parametersExact: count.toString() };
}

async function describeSafetensors(path: string): Promise<SafetensorsInfo> {
  const source = await openSafetensors(path);
  try {
    const tensors = source.keys().map((name) => {
      const { dtype, shape } = source.info(name);
      return { name, dtype, shape };
    });
    const elements = tensors.reduce((total, { shape }) => total + shape.reduce((a, b) => a * BigInt(b), 1n), 0n);
    return { kind: 'safetensors', path, bytes: (await stat(path)).size, metadata: source.metadata, tensors, ...counted(elements) };
  } finally {
    await source.close();
  }
}

async function describeModel(path: string): Promise<ModelInfo> {
  const config = await readModelConfig(path);
  return { kind: 'model', path, config, ...counted(countParametersExact(config)), files: await fileSizes(path), pipeline: await readPipelineIndex(path) };
}

async function describeCheckpoint(path: string): Promise<CheckpointInfo> {
  const state = await readCheckpointState(path);
  const config = await readModelConfig(path);
  const next = state.config.schedule[state.position.phaseIndex];
  return {
    kind: 'checkpoint',
    path,
    config,
    ...counted(countParametersExact(config)),
    files: await fileSizes(path),
    reason: state.reason,
    savedAt: state.savedAt,
    position: state.position,
    completedEpoch: state.completedEpoch,
    lr: state.lr.value,
    phase: next ? { name: next.name, epochs: next.epochs, loss: next.loss } : null,
    latentNorm: trainedLatentNorm(state),
    ema: state.ema ? { decay: state.ema.decay } : null,
    counters: state.counters,
    training: state.config.training,
  };
}

async function describeCache(path: string): Promise<CacheInfo> {
  const manifest = await readManifest(path);
  const buckets = new Map<string, { bucket: string; entries: number; latentShape: number[] }>();
  let bytes = 0;
  for (const entry of manifest.entries) {
    const key = bucketKey(entry.bucket);
    const group = buckets.get(key) ?? { bucket: key, entries: 0, latentShape: entry.latentShape };
    group.entries += 1;
    buckets.set(key, group);
    const file = join(path, entry.file);
    if (existsSync(file)) bytes += (await stat(file)).size;
  }
  let failed: number | null = null;
  if (existsSync(join(path, REPORT_FILE))) {
    const report = JSON.parse(await readFile(join(path, REPORT_FILE), 'utf8')) as { failures?: unknown[] };
    failed = Array.isArray(report.failures) ? report.failures.length : null;
  }
  return {
    kind: 'cache',
    path,
    updatedAt: manifest.updatedAt,
    entries: manifest.entries.length,
    flipped: manifest.entries.filter((entry) => entry.flipped).length,
    buckets: [...buckets.values()],
    textShape: manifest.entries[0]?.textShape ?? [],
    settings: manifest.settings,
    bytes,
    failed,
  };
}

async function describeRun(path: string): Promise<RunInfo> {
  const final = existsSync(join(path, 'final', WEIGHTS_FILE)) ? await describeModel(join(path, 'final')) : null;
  const scanned = await scanCheckpoints(join(path, 'checkpoints'));
  const checkpoints = scanned.flatMap(({ name, state }) =>
    state ? [{ name, reason: state.reason, step: state.position.globalStep, epoch: state.position.epoch, phase: state.position.phaseName }] : [],
  );
  const damaged = scanned.flatMap(({ name, problem }) => (problem ? [{ name, problem }] : []));
  const log = join(path, 'log.csv');
  const loggedSteps = existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter((line) => line.trim() !== '').length - 1 : 0;
  return { kind: 'run', path, final, checkpoints, damaged, loggedSteps: Math.max(0, loggedSteps) };
}

/** What `path` is (safetensors file, model folder, training checkpoint, cache or run folder) and what it holds. */
export async function describePath(path: string): Promise<PathInfo> {
  if (!existsSync(path)) throw new CliError(`${path}: no such file or folder`, EXIT.usage);
  if ((await stat(path)).isFile()) {
    if (path.endsWith('.safetensors') || path.endsWith('.safetensors.index.json')) return describeSafetensors(path);
    const foreign = foreignFileNote(path);
    if (foreign) throw new CliError(`${path}: not a safetensors file: ${foreign}`, EXIT.usage);
    throw new CliError(`${path}: not a .safetensors file (info reads .safetensors files and model, checkpoint, cache or run folders)`, EXIT.usage);
  }
  if (existsSync(join(path, CHECKPOINT_FILES.state))) return describeCheckpoint(path);
  if (existsSync(join(path, MANIFEST_FILE))) return describeCache(path);
  if (existsSync(join(path, CONFIG_FILE))) return describeModel(path);
  if (existsSync(join(path, 'checkpoints')) || existsSync(join(path, 'final'))) return describeRun(path);
  throw new CliError(`${path}: not a model folder (${CONFIG_FILE}), checkpoint (${CHECKPOINT_FILES.state}), cache (${MANIFEST_FILE}) or run folder (checkpoints/, final/)`, EXIT.usage);
}
