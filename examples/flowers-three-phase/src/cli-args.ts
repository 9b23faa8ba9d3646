import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBackendName, type BackendName } from '@dit/core';
import type { FlowersOptions } from './options.js';

/** The options, and the tfjs backend `--backend` names (main.ts selects it). */
export type FlowersArgs = FlowersOptions & { backend?: BackendName };

export const USAGE = `usage: pnpm --filter @dit/example-flowers-three-phase start -- --dataset DIR [options]

  --dataset DIR            N.png + N.txt pairs (flowers-200)                      (required)
  --out DIR                run folder                                  (runs/flowers)
  --cache DIR              latent cache                                (<out>/cache)
  --scale full|tiny        the original's run, or the same script on a CPU  (full)
  --vae ID|DIR             AutoencoderKL                       (KBlueLeaf/EQ-SDXL-VAE)
  --text-encoder ID|DIR    T5Gemma 2, gated: set HF_TOKEN     (google/t5gemma-2-1b-1b)
  --normalisation preset|from-cache   phase 2/3: 0.3077 / 1.1908, or this cache's  (preset)
  --schedule original|as-logged       SPEC section 6, or the LRs the original logged  (original)
  --epochs N               scale the schedule to N epochs          (1201; tiny: 6)
  --batch-size N                                                   (8)
  --flip load|copies       phase 1 mirrors at load time, or cached mirrored copies  (load)
  --optimizer adamw|adamw-8bit                                     (adamw)
  --memory-budget SIZE                                             (16GB)
  --validate-every N       raw + EMA samples every N epochs        (5)
  --validation-steps N     Euler steps of a validation sample      (30)
  --checkpoint-every N                                             (10)
  --keep-every N           keep checkpoints of multiples of N      (300: the phase ends)
  --prompt TEXT            a final-generation prompt (repeatable)  (five flowers)
  --sampler NAME --steps N --cfg W   final generation             (rk4, 50, 1.5)
  --seed N                                                         (0)
  --resume                 continue from the newest checkpoint in --out
  --dry-run                print the plan, memory and time estimates; train nothing
  --time-budget SECONDS    dry run: time real training steps for the time per epoch;
                           a scaled proxy beyond this, 0: none       (60)
  --backend NAME           node-gpu, webgpu, node, wasm or cpu  (DIT_BACKEND, else the fastest)
  --no-progress            no progress lines
  --help`;

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`--${name}: expected an integer, got '${text}'`);
  return value;
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`--${name}: expected a number, got '${text}'`);
  return value;
}

/** Command-line arguments to options ('help' for --help). Values are checked by `resolveFlowersOptions`. */
export function parseFlowersArgs(argv: string[]): FlowersArgs | 'help' {
  const { values } = parseArgs({
    // pnpm passes a literal '--' through.
    args: argv.filter((arg) => arg !== '--'),
    options: {
      dataset: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      scale: { type: 'string' },
      vae: { type: 'string' },
      'text-encoder': { type: 'string' },
      normalisation: { type: 'string' },
      schedule: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      flip: { type: 'string' },
      optimizer: { type: 'string' },
      'memory-budget': { type: 'string' },
      'validate-every': { type: 'string' },
      'validation-steps': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'keep-every': { type: 'string' },
      prompt: { type: 'string', multiple: true },
      sampler: { type: 'string' },
      steps: { type: 'string' },
      cfg: { type: 'string' },
      seed: { type: 'string' },
      resume: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'time-budget': { type: 'string' },
      backend: { type: 'string' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (!values.dataset) throw new Error('--dataset is required');
  const options: FlowersArgs = {
    dataset: values.dataset,
    out: values.out,
    cache: values.cache,
    scale: values.scale as FlowersOptions['scale'],
    vae: values.vae,
    textEncoder: values['text-encoder'],
    normalisation: values.normalisation as FlowersOptions['normalisation'],
    schedule: values.schedule as FlowersOptions['schedule'],
    epochs: integer('epochs', values.epochs),
    batchSize: integer('batch-size', values['batch-size']),
    flip: values.flip as FlowersOptions['flip'],
    optimizer: values.optimizer as FlowersOptions['optimizer'],
    memoryBudget: values['memory-budget'],
    validateEvery: integer('validate-every', values['validate-every']),
    validationSteps: integer('validation-steps', values['validation-steps']),
    checkpointEvery: integer('checkpoint-every', values['checkpoint-every']),
    keepEvery: integer('keep-every', values['keep-every']),
    prompts: values.prompt,
    sampler: values.sampler,
    sampleSteps: integer('steps', values.steps),
    guidanceScale: number('cfg', values.cfg),
    seed: integer('seed', values.seed),
    resume: values.resume,
    dryRun: values['dry-run'],
    timeBudget: number('time-budget', values['time-budget']),
    backend: values.backend === undefined ? undefined : parseBackendName(values.backend, '--backend'),
    progress: values['no-progress'] ? false : undefined,
  };
  // Leave unset options out, so the defaults apply.
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as unknown as FlowersArgs;
}

/**
 * Resolves the paths of the options against `cwd`: `pnpm --filter ... start` runs the script in
 * the example's folder, but paths on the command line mean the folder pnpm was started from
 * (pnpm passes it as INIT_CWD). `--vae` and `--text-encoder` are resolved only when such a folder
 * exists, since they may also be Hugging Face ids.
 */
export function resolvePathsFrom(options: FlowersOptions, cwd: string): FlowersOptions {
  const path = (value: string) => (isAbsolute(value) ? value : resolve(cwd, value));
  const modelSpec = (value: string | undefined) => (value !== undefined && existsSync(path(value)) ? path(value) : value);
  const resolved: FlowersOptions = { ...options, dataset: path(options.dataset), out: path(options.out ?? 'runs/flowers') };
  if (options.cache !== undefined) resolved.cache = path(options.cache);
  if (options.vae !== undefined) resolved.vae = modelSpec(options.vae);
  if (options.textEncoder !== undefined) resolved.textEncoder = modelSpec(options.textEncoder);
  return resolved;
}
