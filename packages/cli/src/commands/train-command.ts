import { join, resolve } from 'node:path';
import { formatCount, writeJsonAtomic, type Logger } from '@dit/core';
import { CachedDataset, cacheStatistics, readManifest, type Manifest } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import {
  DamagedCheckpointError,
  describeDamagedCheckpoints,
  existingRunFiles,
  latestCheckpoint,
  parseByteSize,
  planPhases,
  stopOnSignals,
  train,
  type OptimizerKind,
  type ResumeAdvice,
  type ValidationOptions,
} from '@dit/train';
import { CliError, EXIT } from '../errors.js';
import { loadAutoencoder } from '../loaders.js';
import { autoencoderSpecFromId, textEncoderSpecFromId } from '@dit/pipeline';
import { writeRunRecord } from './run-record.js';
import { resolveTrainModelConfig } from './train-model-config.js';
import { resolveTrainSchedule, type LatentNormMode } from './train-schedule.js';

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
  /** true: the latest checkpoint in --out; a string: that checkpoint (a path, or a name in --out/checkpoints). */
  resume?: boolean | string;
  /** With --resume: go back past damaged checkpoints to the newest good one. */
  resumeFallback?: boolean;
  /** Move an earlier run's files in --out aside and start a new run. */
  startOver?: boolean;
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
 * replaced by a plain `--resume` (the latest checkpoint in --out), without --resume-fallback
 * and --start-over.
 */
export function resumeCommandLine(argv: readonly string[]): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--resume=') || argv[i] === '--resume-fallback' || argv[i] === '--start-over') continue;
    if (argv[i] === '--resume') {
      if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++;
      continue;
    }
    args.push(argv[i]);
  }
  return ['dit', ...args, '--resume'].map(shellQuote).join(' ');
}

/** "--resume <name>" and "--resume-fallback", as whole command lines. */
function cliResumeAdvice(argv: readonly string[]): ResumeAdvice {
  const line = resumeCommandLine(argv);
  return {
    resumeFrom: (checkpoint) => `${line} ${shellQuote(checkpoint.name)}`,
    fallback: `--resume-fallback (${line} --resume-fallback)`,
  };
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

async function validationOptions(flags: TrainCommandOptions, spec: string, manifest: Manifest, inChannels: number): Promise<ValidationOptions | undefined> {
  if (flags.validateEvery === undefined && flags.vae === undefined) return undefined;
  const autoencoder = await loadAutoencoder(spec);
  if (autoencoder.latentChannels !== inChannels) {
    autoencoder.dispose();
    throw new CliError(`--vae ${spec} has ${autoencoder.latentChannels} latent channels, the cache holds ${inChannels}`, EXIT.usage);
  }
  return { autoencoder, every: flags.validateEvery, steps: flags.validateSteps, entries: parseEntries(flags.validateEntries, manifest.entries.length) };
}

/**
 * `dit train`: trains a SingleStreamDiTV2 on a cache through a schedule. SIGINT/SIGTERM finish
 * the step, write a checkpoint and exit 0 with the command that resumes the run.
 */
export async function trainCommand(flags: TrainCommandOptions, io: TrainCommandIo, argv: readonly string[]): Promise<number> {
  // Checked here rather than by commander, so that they may come from --config.
  for (const [flag, value] of [['--cache', flags.cache], ['--out', flags.out]] as const) {
    if (typeof value !== 'string' || value === '') throw new CliError(`${flag} is required (on the command line or in --config)`, EXIT.usage);
  }
  const manifest = await openManifest(flags.cache);
  // The cache's text encoder and autoencoder (or the one asked for): validation decodes with it, run.json and final/pipeline.json name them.
  const parts = { textEncoder: textEncoderSpecFromId(manifest.settings.textEncoder), autoencoder: flags.vae ?? autoencoderSpecFromId(manifest.settings.autoencoder) };
  const config = await resolveTrainModelConfig({ preset: flags.preset, modelConfig: flags.modelConfig }, manifest, flags.cache, (line) => io.err(`warning: ${line}`));
  const schedule = await resolveTrainSchedule(
    { schedule: flags.schedule, epochs: flags.epochs, lrScale: flags.lrScale, latentNorm: flags.latentNorm as LatentNormMode },
    async () => (await cacheStatistics(flags.cache)).suggested,
  );
  if (flags.optimizer !== 'adamw' && flags.optimizer !== 'adamw-8bit') throw new CliError(`--optimizer: expected one of adamw, adamw-8bit, got '${flags.optimizer}'`, EXIT.usage);
  if (flags.memoryBudget !== undefined) {
    try {
      parseByteSize(flags.memoryBudget, '--memory-budget');
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.usage);
    }
  }
  if (flags.microBatch !== undefined && flags.microBatch > flags.batchSize) throw new CliError(`--micro-batch ${flags.microBatch} must not exceed --batch-size ${flags.batchSize}`, EXIT.usage);
  if (flags.startOver && flags.resume) throw new CliError('--start-over starts a new run: it cannot go with --resume', EXIT.usage);
  if (flags.resumeFallback && flags.resume !== true) throw new CliError('--resume-fallback goes with a plain --resume (the newest checkpoint)', EXIT.usage);
  const runFiles = await existingRunFiles(flags.out);
  if (!flags.resume && !flags.startOver && runFiles.length > 0) {
    const existing = await latestCheckpoint(join(flags.out, 'checkpoints'));
    const what = existing ? `checkpoints (latest ${existing.path})` : `a run's files (${runFiles.join(', ')})`;
    throw new CliError(`${flags.out} already holds ${what}; add --resume to continue that run, --start-over to move its files into ${join(flags.out, 'previous-<time>')}/ and start a new one, or choose another --out`, EXIT.usage);
  }

  const dataset = await CachedDataset.open({ cacheDir: flags.cache, inMemory: flags.inMemory ?? false });
  // Batches of every phase, checked before the model is built (the original's takes seconds to initialise).
  try {
    planPhases({ schedule, dataset, batchSize: flags.batchSize, seed: flags.seed });
  } catch (error) {
    // The sampler's advice names its API options; say it in flags.
    const message = (error as Error).message.replace(/; lower batchSize or set dropLast false$/, '; lower --batch-size, or add images to a bucket');
    throw new CliError(`--batch-size ${flags.batchSize}: ${message}`, EXIT.usage);
  }
  let autoencoder: ImageAutoencoder | undefined;
  let model: SingleStreamDiTV2 | undefined;
  const stop = stopOnSignals({ onSignal: (signal) => io.err(`${signal}: finishing this step, then writing a checkpoint (again to quit at once)`) });
  try {
    const validation = await validationOptions(flags, parts.autoencoder, manifest, config.inChannels);
    autoencoder = validation?.autoencoder;
    model = new SingleStreamDiTV2({ ...config, seed: flags.seed, gradientCheckpointing: flags.checkpointing ?? false });
    io.err(`model: ${formatCount(model.parameterCount())} parameters (${JSON.stringify(config)}); ${dataset.size} cached entries; ${schedule.length} phase(s), epochs ${schedule[0].epochs[0]}-${schedule[schedule.length - 1].epochs[1]}`);
    const logger: Logger = { info: (line) => io.err(line), warn: (line) => io.err(`warning: ${line}`) };
    let scheduleWritten = false;
    let result: Awaited<ReturnType<typeof train>>;
    try {
      result = await train({
        model,
        dataset,
        schedule,
        outputDir: flags.out,
        seed: flags.seed,
        batchSize: flags.batchSize,
        microBatch: flags.microBatch,
        memoryBudget: flags.memoryBudget,
        gradientCheckpointing: flags.checkpointing,
        optimizer: { kind: flags.optimizer as OptimizerKind },
        checkpointEvery: flags.checkpointEvery,
        keepLast: flags.keepLast,
        resume: flags.resume ?? false,
        resumeFallback: flags.resumeFallback ?? false,
        startOver: flags.startOver ?? false,
        // Written once the run folder is known to be this run's (after the resume checks).
        onPhase: async () => {
          if (scheduleWritten) return;
          await writeJsonAtomic(join(flags.out, 'schedule.json'), schedule);
          // What tools outside this process need to continue the run (examples/pytorch-accelerate reads it).
          await writeRunRecord(flags.out, { cache: resolve(flags.cache), resume: resumeCommandLine(argv), vae: parts.autoencoder, textEncoder: parts.textEncoder });
          scheduleWritten = true;
        },
        validation: validation ?? false,
        pipeline: parts,
        signal: stop.signal,
        logger,
        progress: flags.progress,
      });
    } catch (error) {
      if (error instanceof DamagedCheckpointError) throw new CliError(describeDamagedCheckpoints(error.checkpointsDir, error.damaged, error.newestGood, cliResumeAdvice(argv)));
      throw error;
    }
    if (result.status === 'interrupted') {
      io.out(`stopped at step ${result.position.globalStep} (phase '${result.position.phaseName}', epoch ${result.position.epoch}); checkpoint ${result.checkpoint}`);
      io.out(`resume with: ${resumeCommandLine(argv)}`);
      return EXIT.ok;
    }
    io.out(`trained ${result.position.globalStep} steps; model in ${result.finalDir}`);
    // final/pipeline.json names the text encoder and autoencoder: nothing else to say.
    io.out(`sample with: dit sample --model ${shellQuote(result.finalDir!)} --prompt '...'`);
    return EXIT.ok;
  } finally {
    stop.dispose();
    model?.dispose();
    autoencoder?.dispose();
  }
}
