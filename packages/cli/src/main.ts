import { Command, CommanderError, type Command as CommandType } from 'commander';
import { BACKEND_ORDER, describeBackendChoice, parseBackendName, selectBackend } from '@dit/core';
import { readConfigFile, mergeOptions } from './config-file.js';
import { doctor, formatDoctorReport } from './commands/doctor.js';
import { CliError, EXIT } from './errors.js';
import { plotRun } from '@dit/train';
import { checkCacheCommand, preprocessCommand, statsCommand, type PreprocessCommandOptions } from './commands/data-commands.js';
import { infoCommand } from './commands/info-command.js';
import { sampleCommand, type SampleCommandOptions } from './commands/sample-command.js';
import { SAMPLE_IMAGES_DEFAULTS } from './commands/sample-images.js';
import { trainCommand, type TrainCommandOptions } from './commands/train-command.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** Options the user typed on the command line (not commander defaults). */
function explicitOptions(command: CommandType): Set<string> {
  return new Set(Object.keys(command.opts()).filter((key) => command.getOptionValueSource(key) === 'cli'));
}

/** Resolves a command's options: `--config file` (JSON/YAML) first, typed flags over it. */
async function resolveOptions<T extends Record<string, unknown>>(command: CommandType): Promise<T> {
  const flags = command.opts() as T & { config?: string };
  if (!flags.config) return flags;
  const known = command.options.map((o) => o.attributeName());
  return mergeOptions(await readConfigFile(flags.config), flags, explicitOptions(command), known);
}

function number(name: string) {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new CliError(`--${name}: expected a number, got '${value}'`, EXIT.usage);
    return parsed;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function integer(name: string) {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) throw new CliError(`--${name}: expected an integer, got '${value}'`, EXIT.usage);
    return parsed;
  };
}

/** Commands report a non-zero outcome (e.g. partial failure) through this; `argv` is the command line run. */
interface ExitState {
  code: number;
  argv?: readonly string[];
}

export function buildProgram(io: CliIo = defaultIo, exit: ExitState = { code: EXIT.ok }): Command {
  const program = new Command('dit')
    .description('Train and sample single-stream Diffusion Transformers with flow matching on TensorFlow.js')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    // One backend choice before a command that computes (the ones with --backend) touches tfjs:
    // the one --backend (or the config file's `backend`) names, else DIT_BACKEND, else the fastest
    // present. The others (stats, plot, info) never touch tfjs; doctor reports its own choice.
    .hook('preAction', async (_program, action) => {
      if (!action.options.some((o) => o.long === '--backend')) return;
      const { backend: named } = await resolveOptions<{ backend?: string }>(action);
      let force;
      try {
        force = named === undefined ? undefined : parseBackendName(String(named), '--backend');
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.usage);
      }
      const choice = await selectBackend({ force });
      // Said when asked for, and on WebGPU (which adapter, with what limits); quiet otherwise.
      if (['train', 'sample'].includes(action.name()) && (force || choice.name === 'webgpu')) io.err(describeBackendChoice(choice));
    });

  /** `--backend`, for the commands that compute. */
  const backendOption = (command: CommandType) =>
    command.option('--backend <name>', `tfjs backend: ${BACKEND_ORDER.join(', ')} (default: DIT_BACKEND, else the fastest present; webgpu takes a software adapter only when named)`);

  program
    .command('doctor')
    .description('report the tfjs backend and why faster ones were skipped, package versions, the libtensorflow and CUDA/cuDNN libraries the native packages find, and the WebGPU adapter')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await doctor();
      io.out(options.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
    });

  program
    .command('plot')
    .description('loss curve (PNG + SVG), validation-sample grid and an HTML report for a run folder')
    .argument('<run>', 'run folder holding log.csv (and samples/, schedule.json)')
    .option('--out <dir>', 'output folder (default <run>/report)')
    .option('--log-scale', 'log-scaled loss axis')
    .option('--smoothing <weight>', 'smoothing weight in [0, 1)', number('smoothing'), 0.98)
    .option('--phases <epochs>', 'phase start epochs, comma separated (default: from <run>/schedule.json)')
    .option('--config <file>', 'options from a JSON or YAML file')
    .action(async (run: string, _opts, command: CommandType) => {
      const options = await resolveOptions<{ out?: string; logScale?: boolean; smoothing: number; phases?: string }>(command);
      const phases = options.phases
        ?.split(',')
        .map((s, i) => {
          const startEpoch = Number(s);
          if (!Number.isInteger(startEpoch)) throw new CliError(`--phases: '${s}' is not an epoch number`, EXIT.usage);
          return { name: `phase ${i + 2}`, startEpoch };
        });
      const result = await plotRun({ runDir: run, outDir: options.out, logScale: options.logScale, smoothing: options.smoothing, phases });
      io.out(`loss curve: ${result.lossChart}`);
      if (result.sampleGrid) io.out(`samples grid: ${result.sampleGrid}`);
      io.out(`report: ${result.report}`);
    });

  backendOption(program.command('preprocess'))
    .description('encode a folder of images + same-stem .txt captions into a latent cache (exit 3 when some images failed)')
    .option('--dataset <dir>', 'folder of images (png, jpg, jpeg, webp, gif, tif, tiff, avif) and captions, not searched below (required; flag or config)')
    .option('--cache <dir>', 'cache folder to write, resumable (required; flag or config)')
    .option('--text-encoder <id>', "Hugging Face id or folder of a T5Gemma 2 model, or 'random[:tiny[:seed]]'", 'google/t5gemma-2-1b-1b')
    .option('--vae <id>', "Hugging Face id or folder of an AutoencoderKL, or 'pixel[:factor]'", 'KBlueLeaf/EQ-SDXL-VAE')
    .option('--buckets <spec>', "'original', 'WxH,WxH,...' or 'area:<pixels>[:<alignment>]'", 'original')
    .option('--resize <mode>', 'stretch (the original) or crop', 'stretch')
    .option('--flip <mode>', 'none, all (a mirrored copy of every image) or random (50% each)', 'none')
    .option('--max-length <tokens>', 'text tokens per caption', integer('max-length'), 256)
    .option('--seed <n>', 'seed for posterior samples and random flips', integer('seed'), 0)
    .option('--batch-size <n>', 'images encoded together', integer('batch-size'), 8)
    .option('--encode-mode <mode>', 'sample (the original) or mean of the VAE posterior', 'sample')
    .option('--min-size <pixels>', 'skip images whose shorter side is smaller', integer('min-size'), 0)
    .option('--config <file>', 'options from a JSON or YAML file')
    .action(async (_opts, command: CommandType) => {
      exit.code = await preprocessCommand(await resolveOptions<PreprocessCommandOptions & Record<string, unknown>>(command), io.out);
    });

  program
    .command('stats')
    .description('mean and std of the cached latents (global, per channel, per bucket) and the normalisation they suggest')
    .argument('<cache>', 'cache folder')
    .option('--json', 'print JSON')
    .action(async (cache: string, options: { json?: boolean }) => statsCommand(cache, options, io.out));

  backendOption(program.command('check-cache'))
    .description('check a cache folder whole (entries readable, shapes as the manifest says, no NaN or Inf), or decode entries back to PNGs (exit 1 when any is damaged)')
    .argument('<paths...>', 'a cache folder, or cache entry files (.safetensors)')
    .option('--vae <id>', "Hugging Face id or folder of an AutoencoderKL, or 'pixel[:factor]' (default: the one each entry was made with)")
    .option('--out <dir>', 'folder for the PNGs (default: beside each entry)')
    .option('--std <n>', 'also round-trip through this latent std', number('std'))
    .option('--offset <n>', 'also round-trip through this latent offset', number('offset'))
    .action(async (paths: string[], options: { vae?: string; out?: string; std?: number; offset?: number }) => {
      exit.code = await checkCacheCommand(paths, options, io);
    });

  backendOption(program.command('train'))
    .description('train a SingleStreamDiTV2 on a latent cache through a schedule of phases (Ctrl-C checkpoints and prints how to resume)')
    .option('--cache <dir>', 'cache folder made by dit preprocess (required)')
    .option('--out <dir>', 'run folder: checkpoints/, final/, samples/, log.csv, log.jsonl, schedule.json (required)')
    .option('--preset <name>', 'architecture: tiny, small or original (default: original; seed, its old name, is deprecated)')
    .option('--model-config <file>', 'JSON/YAML of config fields laid over the preset (in_channels, text_embed_dim, text_length default to the cache)')
    .option('--schedule <name|file>', "'original', 'original-as-logged' or a JSON/YAML file of phases", 'original')
    .option('--epochs <n>', 'squeeze or stretch the schedule to this many epochs', integer('epochs'))
    .option('--lr-scale <x>', 'multiply every learning rate', number('lr-scale'), 1)
    .option('--latent-norm <mode>', "'schedule' (as written), 'cache' (phases 2/3 from this cache's statistics, the original's convention) or 'cache-centred' (phase 3 exactly zero-mean)", 'schedule')
    .option('--batch-size <n>', 'samples per optimiser step', integer('batch-size'), 8)
    .option('--micro-batch <n>', 'samples per forward/backward pass (gradients accumulate)', integer('micro-batch'))
    .option('--memory-budget <size>', "e.g. '16GB': choose micro-batch and gradient checkpointing to fit (WebGPU reports no memory size: 8 GiB is assumed there without this)")
    .option('--checkpointing', 'gradient checkpointing (recompute block activations in the backward pass)')
    .option('--resume [checkpoint]', 'continue the run in --out from its latest checkpoint (or the one given: a path, or a name in --out/checkpoints); a damaged checkpoint stops it')
    .option('--resume-fallback', 'with --resume: go back past damaged checkpoints to the newest good one (they are moved to --out/checkpoints-damaged/)')
    .option('--start-over', 'when --out holds an earlier run: move its files into --out/previous-<time>/ and start a new run')
    .option('--seed <n>', 'seed of the weights, batch order, noise, timesteps and dropout', integer('seed'), 0)
    .option('--optimizer <kind>', 'adamw or adamw-8bit', 'adamw')
    .option('--validate-every <epochs>', 'write validation samples every N epochs (needs an autoencoder)', integer('validate-every'))
    .option('--validate-steps <n>', 'sampling steps of validation samples', integer('validate-steps'), 30)
    .option('--validate-entries <list>', 'cache entry indices to sample at validation, comma separated', '0')
    .option('--vae <spec>', "autoencoder for validation samples: Hugging Face id, folder or 'pixel[:factor]' (default: the cache's)")
    .option('--checkpoint-every <epochs>', 'checkpoint after every N epochs (and at each phase end)', integer('checkpoint-every'), 10)
    .option('--keep-last <n>', 'keep this many recent checkpoints', integer('keep-last'), 3)
    .option('--in-memory', 'read the whole cache into memory first')
    .option('--no-progress', 'no progress line')
    .option('--config <file>', 'options from a JSON or YAML file')
    .action(async (_opts, command: CommandType) => {
      const options = await resolveOptions<TrainCommandOptions & Record<string, unknown>>(command);
      exit.code = await trainCommand(options, io, exit.argv ?? []);
    });

  backendOption(program.command('sample'))
    .description('generate PNGs from prompts or cached entries with a trained model (settings in the PNG text chunks and a .json beside)')
    .option('--model <dir>', 'pipeline or model folder (a run\'s final/: config.json + model.safetensors + pipeline.json), training checkpoint or run folder (required)')
    .option('--weights <which>', 'for a checkpoint: ema or model (default: ema when present)')
    .option('--prompt <text>', 'a prompt (repeat for more)', collect, [])
    .option('--prompts <file>', 'a file of prompts, one a line')
    .option('--negative-prompt <text>', 'encoded as the unconditional text (default: zero embeddings, as in training)')
    .option('--text-encoder <spec>', "Hugging Face id or folder of a T5Gemma 2 model, or 'random[:tiny[:seed]]' (default: the model folder's pipeline.json, else google/t5gemma-2-1b-1b)")
    .option('--entry <file>', 'a cache entry (.safetensors) to sample from its text, at its size (repeat for more)', collect, [])
    .option('--vae <spec>', "Hugging Face id or folder of an AutoencoderKL, or 'pixel[:factor]' (default: the entry's, else pipeline.json's, else KBlueLeaf/EQ-SDXL-VAE)")
    .option('--width <pixels>', "image width (default: the entry's, else pipeline.json's, else 512)", integer('width'))
    .option('--height <pixels>', "image height (default: the entry's, else pipeline.json's, else 512)", integer('height'))
    .option('--steps <n>', 'sampling steps (default: pipeline.json\'s, else 50)', integer('steps'))
    .option('--sampler <name>', 'euler, midpoint, heun, rk4, rk4-original, dpm-solver++2m or any registered sampler (default: pipeline.json\'s, else rk4)')
    .option('--cfg <scale>', 'classifier-free guidance scale, 1 = none (default: pipeline.json\'s, else 1.5)', number('cfg'))
    .option('--cfg-mode <mode>', 'batched (one forward of [uncond; cond]) or separate (two, less memory) (default: pipeline.json\'s, else batched)')
    .option('--shift <s>', 'timestep shift of the sampling grid, 1 = none (default: pipeline.json\'s, else 1)', number('shift'))
    .option('--seed <n>', 'noise seed; image k of each prompt uses seed + k', integer('seed'), SAMPLE_IMAGES_DEFAULTS.seed)
    .option('--batch <n>', 'images per prompt or entry', integer('batch'), SAMPLE_IMAGES_DEFAULTS.batch)
    .option('--latent-std <x>', "training's latent std (default: the checkpoint's state.json, else pipeline.json's, else 1)", number('latent-std'))
    .option('--latent-offset <x>', "training's latent offset (default: the checkpoint's state.json, else pipeline.json's, else 0)", number('latent-offset'))
    .option('--out <dir>', 'output folder', SAMPLE_IMAGES_DEFAULTS.outDir)
    .option('--config <file>', 'options from a JSON or YAML file')
    .action(async (_opts, command: CommandType) => {
      exit.code = await sampleCommand(await resolveOptions<SampleCommandOptions & Record<string, unknown>>(command), io.out);
    });

  program
    .command('info')
    .description('what a model folder, training checkpoint, cache, run folder or .safetensors file holds')
    .argument('<path>', 'folder or .safetensors file')
    .option('--json', 'print JSON')
    .action(async (path: string, options: { json?: boolean }) => infoCommand(path, options, io.out));

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting (the bin exits). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const exit: ExitState = { code: EXIT.ok, argv };
  const program = buildProgram(io, exit);
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const cliError = error instanceof CliError ? error : undefined;
    io.err(`error: ${(error as Error).message}`);
    if (verbose && (error as Error).stack) io.err((error as Error).stack!);
    return cliError?.exitCode ?? EXIT.failure;
  }
}
