import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CONFIG_FILE, WEIGHTS_FILE } from '@dit/model';
import { PIPELINE_FILE } from '@dit/pipeline';
import { CHECKPOINT_FILES, latestCheckpoint, readCheckpointState, scanCheckpoints, trainedLatentNorm, type TrainedLatentNorm } from '@dit/train';
import { CliError, EXIT } from '../errors.js';
import { foreignFileNote } from '../foreign-files.js';
import { readRunRecord } from './run-record.js';

/** Which weights of a training checkpoint to sample with. */
export type CheckpointWeights = 'ema' | 'model';

/** What `dit sample --model` points at, resolved to a folder `DiTPipeline.fromPretrained` loads. */
export interface SampleSource {
  /** The folder to load: a pipeline or model folder, or a training checkpoint. */
  dir: string;
  /** The weights file inside it. */
  weightsFile: string;
  /** `dir/weightsFile`, as recorded in the images' settings. */
  weightsPath: string;
  /** 'ema' or 'model' for a checkpoint, 'pretrained' for a model folder. */
  weights: CheckpointWeights | 'pretrained';
  /**
   * The normalisation the weights were trained with, when a checkpoint's state.json tells
   * (`from` names it); null leaves it to the folder's pipeline.json (or none).
   */
  latentNorm: (TrainedLatentNorm & { from: string }) | null;
  /**
   * For a checkpoint of a `dit train` run: the encoders its run.json names, so that sampling a
   * checkpoint needs no encoder flags; null elsewhere.
   */
  parts: { textEncoder: string; autoencoder: string } | null;
}

/** The encoders of the run a checkpoint `<run>/checkpoints/<name>` belongs to, from `<run>/run.json`. */
async function partsFromRun(checkpoint: string): Promise<SampleSource['parts']> {
  const folder = dirname(resolve(checkpoint));
  if (basename(folder) !== 'checkpoints') return null;
  const runDir = dirname(folder);
  const record = await readRunRecord(runDir);
  return record ? { textEncoder: record.textEncoder, autoencoder: record.vae } : null;
}

/**
 * The newest checkpoint of a run's checkpoints/ folder. When the newest one is damaged, sampling
 * an older one without a word would hide it: refuse, naming it and the newest good one.
 */
async function newestCheckpoint(dir: string): Promise<string | undefined> {
  const found = await scanCheckpoints(dir);
  const newest = found[found.length - 1];
  if (!newest?.problem) return newest?.path;
  const good = [...found].reverse().find((checkpoint) => !checkpoint.problem);
  throw new CliError(
    `--model: the newest checkpoint ${newest.path} is damaged (${newest.problem})` +
      (good ? `; to sample the newest good one, pass --model ${good.path}` : '; no checkpoint in the run is intact'),
    EXIT.usage,
  );
}

async function normFromCheckpoint(dir: string): Promise<SampleSource['latentNorm']> {
  const state = await readCheckpointState(dir);
  return { ...trainedLatentNorm(state), from: join(dir, CHECKPOINT_FILES.state) };
}

/**
 * Finds the weights to sample from `path`: a training checkpoint (state.json; `weights` picks
 * EMA or raw weights, EMA by default when present; the encoders its run's run.json names), a pipeline or model folder (config.json +
 * model.safetensors, and pipeline.json when the trainer or `savePretrained` wrote it; a run's
 * `final/` without one takes its normalisation from the run's latest checkpoint), or a run
 * folder (its `final/`, else its latest checkpoint).
 */
export async function findSampleSource(path: string, weights?: CheckpointWeights): Promise<SampleSource> {
  if (!existsSync(path)) throw new CliError(`--model ${path}: no such file or folder`, EXIT.usage);
  if (existsSync(join(path, CHECKPOINT_FILES.state))) {
    const hasEma = existsSync(join(path, CHECKPOINT_FILES.ema));
    const chosen = weights ?? (hasEma ? 'ema' : 'model');
    if (chosen === 'ema' && !hasEma) throw new CliError(`--weights ema: ${path} has no ${CHECKPOINT_FILES.ema} (that phase kept no EMA); use --weights model`, EXIT.usage);
    const weightsFile = CHECKPOINT_FILES[chosen];
    return { dir: path, weightsFile, weightsPath: join(path, weightsFile), weights: chosen, latentNorm: await normFromCheckpoint(path), parts: await partsFromRun(path) };
  }
  if (existsSync(join(path, CONFIG_FILE)) && existsSync(join(path, WEIGHTS_FILE))) {
    if (weights) throw new CliError(`--weights applies to training checkpoints; ${path} is a model folder`, EXIT.usage);
    // Runs from before pipeline.json: the normalisation of the run's last checkpoint.
    const latest = !existsSync(join(path, PIPELINE_FILE)) && basename(path) === 'final' ? await latestCheckpoint(join(dirname(path), 'checkpoints')) : undefined;
    return { dir: path, weightsFile: WEIGHTS_FILE, weightsPath: join(path, WEIGHTS_FILE), weights: 'pretrained', latentNorm: latest ? await normFromCheckpoint(latest.path) : null, parts: null };
  }
  if (existsSync(join(path, 'final', WEIGHTS_FILE))) return findSampleSource(join(path, 'final'), weights);
  const latest = await newestCheckpoint(join(path, 'checkpoints'));
  if (latest) return findSampleSource(latest, weights);
  const foreign = foreignFileNote(path);
  throw new CliError(
    `--model ${path}: not a model folder (${CONFIG_FILE} + ${WEIGHTS_FILE}), a training checkpoint (${CHECKPOINT_FILES.state}) or a run folder (final/ or checkpoints/)${foreign ? `; ${foreign}` : ''}`,
    EXIT.usage,
  );
}
