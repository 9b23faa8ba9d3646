import * as tf from '@tensorflow/tfjs-core';
import './tfjs-setup.js';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { enableWasmThreads, withLogicalCores } from './wasm-threads.js';
import { formatAdapter, type WebgpuAdapterReport } from './webgpu/adapter.js';
import { webgpuCandidate } from './webgpu/webgpu-candidate.js';

/** The backends @dit can run on, fastest first. */
export type BackendName = 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';

/**
 * Default preference order: native GPU (CUDA), WebGPU on a hardware adapter, native CPU,
 * WebAssembly (SIMD), plain JavaScript.
 */
export const BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

/** What a candidate reports once active (or, for `adapter`, when it declined one). */
export interface BackendActivation {
  /** wasm: the threads its XNNPACK pool really runs. */
  threads?: number;
  /** webgpu: the adapter it runs on. */
  adapter?: WebgpuAdapterReport;
}

/** One way of bringing a backend up: `probe` must not throw, `activate` may. */
export interface BackendCandidate {
  name: BackendName;
  /** tfjs' own name for the registered backend. */
  tfjsName: string;
  /** Cheap check that the package and its native parts are present, without loading it. */
  probe(): { available: boolean; reason?: string };
  /**
   * Loads the package, registers and selects the backend. `threadsRequested` is false when
   * `threads` is only the default: a backend may then fall back to one thread. `forced` is true
   * when this backend was asked for by name (webgpu then accepts a software adapter).
   * An error thrown with an `adapter` property reports the adapter that was declined.
   */
  activate(options: { threads: number; threadsRequested?: boolean; forced?: boolean }): Promise<void | BackendActivation>;
}

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  reason?: string;
  /** webgpu: the adapter found, also when it was declined (a software adapter, unforced). */
  adapter?: WebgpuAdapterReport;
}

export interface BackendChoice {
  /** The backend in use. */
  name: BackendName;
  /** tfjs' name for it (`tf.getBackend()`). */
  tfjsName: string;
  /** Every candidate that was considered, in order, with why it was skipped. */
  attempts: BackendAttempt[];
  /** True when the choice came from `force` or `DIT_BACKEND`. */
  forced: boolean;
  /** wasm only: the threads its XNNPACK pool really runs (tfjs' `getThreadsCount()`). */
  threads?: number;
  /** webgpu only: the adapter (vendor, architecture, description, software or not) and its limits. */
  adapter?: WebgpuAdapterReport;
}

export interface SelectBackendOptions {
  /** Use exactly this backend (fails if it cannot load). Overrides `DIT_BACKEND`. */
  force?: BackendName;
  /** Preference order. Default {@link BACKEND_ORDER}. */
  order?: readonly BackendName[];
  /** Silence tfjs' own console advice (e.g. "install tfjs-node"). Default true. */
  quiet?: boolean;
  /** Receives one line describing the choice. Default: nothing is printed. */
  log?: (line: string) => void;
  /** Override the candidates (tests, exotic backends). */
  candidates?: readonly BackendCandidate[];
  /**
   * wasm worker threads; 1 runs single-threaded. Default: `DIT_WASM_THREADS`, else
   * {@link defaultWasmThreads} (2 on a machine with 2 or more cores).
   * Threads must be chosen before the wasm backend first initialises in a process.
   */
  threads?: number;
  /** Environment to read `DIT_BACKEND` and `DIT_WASM_THREADS` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

const requireHere = createRequire(import.meta.url);

function packageDir(pkg: string): string | undefined {
  try {
    return dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

/** tfjs-node keeps its addon in lib/napi-v<N>/tfjs_binding.node, written by its install script. */
function hasNativeBinding(dir: string): boolean {
  const lib = join(dir, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((sub) => existsSync(join(lib, sub, 'tfjs_binding.node')));
}

function nativeCandidate(name: 'node-gpu' | 'node', pkg: string): BackendCandidate {
  return {
    name,
    tfjsName: 'tensorflow',
    probe() {
      const dir = packageDir(pkg);
      if (!dir) return { available: false, reason: `${pkg} is not installed` };
      if (!hasNativeBinding(dir)) {
        return {
          available: false,
          reason: `${pkg} is installed but its native library is missing (its install script did not run or could not download libtensorflow)`,
        };
      }
      return { available: true };
    },
    async activate() {
      await import(/* @vite-ignore */ pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not initialise`);
    },
  };
}

function wasmDistDir(): string {
  const dir = packageDir('@tensorflow/tfjs-backend-wasm');
  if (!dir) throw new Error('@tensorflow/tfjs-backend-wasm is not installed');
  return join(dir, 'dist') + '/';
}

/**
 * XNNPACK's pool threads are pthread workers that wait for work as long as the backend lives;
 * Emscripten keeps a running worker referenced, so a script would never exit by itself. They are
 * unreferenced here: the process ends when its own work does, and the workers with it.
 */
function unrefPoolThreads(): void {
  const pthread = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers: { unref?: () => void }[] } } }).wasm?.PThread;
  for (const worker of pthread?.runningWorkers ?? []) worker.unref?.();
}

const wasmCandidate: BackendCandidate = {
  name: 'wasm',
  tfjsName: 'wasm',
  probe() {
    return packageDir('@tensorflow/tfjs-backend-wasm')
      ? { available: true }
      : { available: false, reason: '@tensorflow/tfjs-backend-wasm is not installed' };
  },
  async activate({ threads, threadsRequested = true }) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistDir());
    let threaded = false;
    if (threads > 1) {
      try {
        enableWasmThreads(packageDir('@tensorflow/tfjs-backend-wasm')!, threads, wasm.setThreadsCount);
        threaded = true;
      } catch (error) {
        // Threads by default only: without the threaded build (or a writable temp folder)
        // run single-threaded rather than fall back to the ~20x slower cpu backend.
        if (threadsRequested) throw error;
      }
    }
    const start = () => tf.setBackend('wasm');
    if (!(await (threaded ? withLogicalCores(threads, start) : start()))) throw new Error('the wasm backend did not initialise');
    const started = threaded ? wasm.getThreadsCount() : 1;
    if (threaded) unrefPoolThreads();
    if (threaded && started !== threads && threadsRequested) {
      throw new Error(`wasm threads: ${threads} requested, tfjs started ${started} (threads: 1 or DIT_WASM_THREADS=1 runs single-threaded)`);
    }
    return { threads: started };
  },
};

const cpuCandidate: BackendCandidate = {
  name: 'cpu',
  tfjsName: 'cpu',
  probe: () => ({ available: true }),
  async activate() {
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  },
};

/** The built-in candidates, in {@link BACKEND_ORDER}. */
export const DEFAULT_CANDIDATES: readonly BackendCandidate[] = [
  nativeCandidate('node-gpu', '@tensorflow/tfjs-node-gpu'),
  webgpuCandidate,
  nativeCandidate('node', '@tensorflow/tfjs-node'),
  wasmCandidate,
  cpuCandidate,
];

function parseBackendName(value: string, source: string): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKEND_ORDER as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`${source}: unknown backend '${value}'; expected one of ${BACKEND_ORDER.join(', ')}`);
}

/**
 * wasm threads when neither the `threads` option nor `DIT_WASM_THREADS` says: 2 where the
 * machine has at least 2 cores, else 1. XNNPACK's matmuls, most of a training step, run
 * ~1.45-1.9x faster on 2 threads at `small` and seed width; element-wise kernels stay single-threaded, and more threads
 * gain little on top (docs/performance.md).
 */
export function defaultWasmThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * Picks and activates the fastest tfjs backend present: tfjs-node-gpu, WebGPU on a hardware
 * adapter, tfjs-node, wasm, cpu. `force` (or the `DIT_BACKEND` environment variable) selects one
 * backend and fails loudly if it cannot load; a forced webgpu also accepts a software adapter
 * (lavapipe, SwiftShader). A native package that is installed without its native library is
 * skipped quietly.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const env = options.env ?? process.env;
  const quiet = options.quiet ?? true;
  const threadsRequested = options.threads !== undefined || env.DIT_WASM_THREADS !== undefined;
  const threads = options.threads ?? (env.DIT_WASM_THREADS !== undefined ? Number(env.DIT_WASM_THREADS) : defaultWasmThreads());
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`${options.threads !== undefined ? 'threads option' : 'DIT_WASM_THREADS'}: expected a positive integer, got ${threads}`);
  }
  if (quiet) tf.env().set('PROD', true);
  const candidates = options.candidates ?? DEFAULT_CANDIDATES;
  const forcedName = options.force ?? (env.DIT_BACKEND ? parseBackendName(env.DIT_BACKEND, 'DIT_BACKEND') : undefined);
  const order = forcedName ? [forcedName] : (options.order ?? BACKEND_ORDER);
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const candidate = candidates.find((c) => c.name === name);
    if (!candidate) {
      attempts.push({ name, ok: false, reason: 'no such candidate' });
      continue;
    }
    const probe = candidate.probe();
    if (!probe.available) {
      attempts.push({ name, ok: false, reason: probe.reason });
      continue;
    }
    try {
      const started = await candidate.activate({ threads, threadsRequested, forced: Boolean(forcedName) });
      attempts.push({ name, ok: true, ...(started?.adapter ? { adapter: started.adapter } : {}) });
      const choice: BackendChoice = {
        name,
        tfjsName: candidate.tfjsName,
        attempts,
        forced: Boolean(forcedName),
        ...(started?.threads !== undefined ? { threads: started.threads } : {}),
        ...(started?.adapter ? { adapter: started.adapter } : {}),
      };
      options.log?.(describeBackendChoice(choice));
      return choice;
    } catch (error) {
      const adapter = (error as { adapter?: WebgpuAdapterReport }).adapter;
      attempts.push({ name, ok: false, reason: (error as Error).message, ...(adapter ? { adapter } : {}) });
    }
  }
  const detail = attempts.map((a) => `  ${a.name}: ${a.reason}`).join('\n');
  throw new Error(
    forcedName
      ? `backend '${forcedName}' was requested (${options.force ? 'force option' : 'DIT_BACKEND'}) but could not be used:\n${detail}`
      : `no tfjs backend could be used:\n${detail}`,
  );
}

/** One human line: which backend runs and why the faster ones were skipped. */
export function describeBackendChoice(choice: BackendChoice): string {
  const skipped = choice.attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.reason}`);
  const how = choice.forced ? ' (forced)' : '';
  const threads = choice.threads === undefined ? '' : ` (${choice.threads} thread${choice.threads === 1 ? '' : 's'})`;
  const adapter = choice.adapter ? ` on ${formatAdapter(choice.adapter)}` : '';
  return `tfjs backend: ${choice.name}${threads}${adapter}${how}` + (skipped.length ? `; skipped ${skipped.join('; ')}` : '');
}
