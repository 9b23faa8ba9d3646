import * as tf from '@tensorflow/tfjs-core';
import './tfjs-setup.js';
import { availableParallelism } from 'node:os';
import { checkBackendWorks } from './backend-check.js';
import { BACKEND_ORDER, type BackendAttempt, type BackendChoice, type BackendName, type SelectBackendOptions } from './backend-types.js';
import { DEFAULT_CANDIDATES } from './backends/default-candidates.js';
import { formatAdapter, type WebgpuAdapterReport } from './webgpu/adapter.js';

export * from './backend-types.js';
export { DEFAULT_CANDIDATES } from './backends/default-candidates.js';

/** A backend name as typed (any case, spaces trimmed); an unknown one is an error naming `source` and the choices. */
export function parseBackendName(value: string, source: string): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKEND_ORDER as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`${source}: unknown backend '${value}'; expected one of ${BACKEND_ORDER.join(', ')}`);
}

/**
 * wasm threads when neither the `threads` option nor `DIT_WASM_THREADS` says: 2 where the
 * machine has at least 2 cores, else 1. XNNPACK's matmuls, most of a training step, run
 * ~1.45-1.9x faster on 2 threads at `small` and original width; element-wise kernels stay single-threaded, and more threads
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
 * A backend is chosen only after it ran a matMul and a gradient correctly ({@link checkBackendWorks});
 * one that loads but fails is skipped, with the error in `attempts`.
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
      await checkBackendWorks();
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
