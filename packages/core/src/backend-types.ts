import type { WebgpuAdapterReport } from './webgpu/adapter.js';

/** The backends @dit can run on, fastest first. */
export type BackendName = 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';

/**
 * Default preference order: native GPU (CUDA), WebGPU on a hardware adapter, native CPU,
 * WebAssembly (SIMD), plain JavaScript.
 */
export const BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

/** What a candidate reports once active. */
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
