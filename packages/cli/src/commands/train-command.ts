import { join, resolve } from 'node:path';
import { writeJsonAtomic, type Logger } from '@dit/core';
import { CachedDataset, cacheStatistics, readManifest, type Manifest } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { latestCheckpoint, parseByteSize, stopOnSignals, train, type OptimizerKind, type ValidationOptions } from '@dit/train';
import { CliError, EXIT } from '../errors.js';
import { loadAutoencoder } from '../loaders.js';
import { autoencoderSpecFromId, textEncoderSpecFromId } from './sample-core.js';
import { resolveTrainModelConfig } from './train-model-config.js';
import { resolveTrainSchedule, type LatentNormMode } from './train-schedule.js';

/** `<out>/run.json`: the cache folder and the command lines that continue and sample the run. */
export const RUN_FILE = 'run.json';

/** `dit train`'s options as commander (or a --config file) gives them. */
export interface TrainCommandOptions {
  cache: string;
  out: string;
  preset?: string;
  modelConfig?: string;
  schedule: string;
  epochs?: number;
  lrScale: number;
  latentNorm: string;
  batchSize: number;
  microBatch?: number;
  memoryBudget?: string;
  checkpointing?: boolean;
  /** true: the latest checkpoint in --out; a path: that checkpoint. */
  resume?: boolean | string;
  seed: number;
  optimizer: string;
  validateEvery?: number;
  validateSteps: number;
  /** Comma-separated dataset indices to sample at validation. */
  validateEntries: string;
  vae?: string;
  checkpointEvery: number;
  keepLast: number;
  inMemory?: boolean;
  progress: boolean;
}

export interface TrainCommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Quotes an argument for a POSIX shell when it needs it. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line that continues a run: the one given, with any `--resume [checkpoint]`
 * replaced by a plain `--resume` (the latest checkpoint in --out).
 */
export function resumeCommandLine(argv: readonly string[]): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--resume=')) continue;
    if (argv[i] === '--resume') {
      if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++;
      continue;
    }
    args.push(argv[i]);
  }
  return ['dit', ...args, '--resume'].map(shellQuote).join(' ');
}

async function openManifest(cacheDir: string): Promise<Manifest> {
  try {
    const manifest = await readManifest(cacheDir);
    if (manifest.entries.length === 0) throw new Error(`${cacheDir}: the cache has no entries`);
    return manifest;
  } catch (error) {
    throw new CliError(`--cache ${(error as Error).message}`, EXIT.usage);
  }
}

function parseEntries(spec: string, size: number): number[] {
  return spec.split(',').map((item) => {
    const index = Number(item.trim());
    if (!Number.isInteger(index) || index < 0 || index >= size) throw new CliError(`--validate-entries: '${item}' is not an entry index in [0, ${size})`, EXIT.usage);
    return index;
  });
}

async function validationOptions(o: TrainCommandOptions, manifest: Manifest, inChannels: number): Promise<ValidationOptions | undefined> {
  if (o.validateEvery === undefined && o.vae === undefined) return undefined;
  const spec = o.vae ?? autoencoderSpecFromId(manifest.settings.autoencoder);
  const autoencoder = await loadAutoencoder(spec);
  if (autoencoder.latentChannels !== inChannels) {
    autoencoder.dispose();
    throw new CliError(`--vae ${spec} has ${autoencoder.latentChannels} latent channels, the cache holds ${inChannels}`, EXIT.usage);
  }
  return { autoencoder, every: o.validateEvery, steps: o.validateSteps, entries: parseEntries(o.validateEntries, manifest.entries.length) };
}

/**
 * `dit train`: trains a SingleStreamDiTV2 on a cache through a schedule. SIGINT/SIGTERM finish
 * the step, write a checkpoint and exit 0 with the command that resumes the run.
 */
export async function trainCommand(o: TrainCommandOptions, io: TrainCommandIo, argv: readonly string[]): Promise<number> {
  // Checked here rather than by commander, so that they may come from --config.
  for (const [flag, value] of [['--cache', o.cache], ['--out', o.out]] as const) {
    if (typeof value !== 'string' || value === '') throw new CliError(`${flag} is required (on the command line or in --config)`, EXIT.usage);
  }
  const manifest = await openManifest(o.cache);
  const config = await resolveTrainModelConfig({ preset: o.preset, modelConfig: o.modelConfig }, manifest, o.cache);
  const schedule = await resolveTrainSchedule(
    { schedule: o.schedule, epochs: o.epochs, lrScale: o.lrScale, latentNorm: o.latentNorm as LatentNormMode },
    async () => (await cacheStatistics(o.cache)).suggested,
  );
  if (o.optimizer !== 'adamw' && o.optimizer !== 'adamw-8bit') throw new CliError(`--optimizer: expected one of adamw, adamw-8bit, got '${o.optimizer}'`, EXIT.usage);
  if (o.memoryBudget !== undefined) {
    try {
      parseByteSize(o.memoryBudget, '--memory-budget');
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.usage);
    }
  }
  if (o.microBatch !== undefined && o.microBatch > o.batchSize) throw new CliError(`--micro-batch ${o.microBatch} must not exceed --batch-size ${o.batchSize}`, EXIT.usage);
  const existing = await latestCheckpoint(join(o.out, 'checkpoints'));
  if (!o.resume && existing) {
    throw new CliError(`${o.out} already holds checkpoints (latest ${existing.path}); add --resume to continue that run, or choose another --out`, EXIT.usage);
  }

  const dataset = await CachedDataset.open({ cacheDir: o.cache, inMemory: o.inMemory ?? false });
  let autoencoder: ImageAutoencoder | undefined;
  let model: SingleStreamDiTV2 | undefined;
  const stop = stopOnSignals({ onSignal: (signal) => io.err(`${signal}: finishing this step, then writing a checkpoint (again to quit at once)`) });
  try {
    const validation = await validationOptions(o, manifest, config.inChannels);
    autoencoder = validation?.autoencoder;
    model = new SingleStreamDiTV2({ ...config, seed: o.seed, gradientCheckpointing: o.checkpointing ?? false });
    io.err(`model: ${model.parameterCount().toLocaleString('en-US')} parameters (${JSON.stringify(config)}); ${dataset.size} cached entries; ${schedule.length} phase(s), epochs ${schedule[0].epochs[0]}-${schedule[schedule.length - 1].epochs[1]}`);
    await writeJsonAtomic(join(o.out, 'schedule.json'), schedule);
    // What tools outside this process need to continue the run (examples/pytorch-accelerate reads it).
    await writeJsonAtomic(join(o.out, RUN_FILE), {
      cache: resolve(o.cache),
      resume: resumeCommandLine(argv),
      vae: o.vae ?? autoencoderSpecFromId(manifest.settings.autoencoder),
      textEncoder: textEncoderSpecFromId(manifest.settings.textEncoder),
    });
    const logger: Logger = { info: (line) => io.err(line), warn: (line) => io.err(`warning: ${line}`) };
    const result = await train({
      model,
      dataset,
      schedule,
      outputDir: o.out,
      seed: o.seed,
      batchSize: o.batchSize,
      microBatch: o.microBatch,
      memoryBudget: o.memoryBudget,
      gradientCheckpointing: o.checkpointing,
      optimizer: { kind: o.optimizer as OptimizerKind },
      checkpointEvery: o.checkpointEvery,
      keepLast: o.keepLast,
      resume: o.resume ?? false,
      validation: validation ?? false,
      signal: stop.signal,
      logger,
      progress: o.progress,
    });
    if (result.status === 'interrupted') {
      io.out(`stopped at step ${result.position.globalStep} (phase '${result.position.phaseName}', epoch ${result.position.epoch}); checkpoint ${result.checkpoint}`);
      io.out(`resume with: ${resumeCommandLine(argv)}`);
      return EXIT.ok;
    }
    io.out(`trained ${result.position.globalStep} steps; model in ${result.finalDir}`);
    const vae = o.vae ?? autoencoderSpecFromId(manifest.settings.autoencoder);
    const textEncoder = textEncoderSpecFromId(manifest.settings.textEncoder);
    io.out(`sample with: dit sample --model ${shellQuote(result.finalDir!)} --vae ${shellQuote(vae)} --text-encoder ${shellQuote(textEncoder)} --prompt '...'`);
    return EXIT.ok;
  } finally {
    stop.dispose();
    model?.dispose();
    autoencoder?.dispose();
  }
}
