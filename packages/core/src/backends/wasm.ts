import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import type { BackendCandidate } from '../backend-types.js';
import { enableWasmThreads, withLogicalCores } from '../wasm-threads.js';
import { packageDir } from './package-dir.js';

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

/** `wasm`: XNNPACK with SIMD, multi-threaded where asked (docs/backends.md, wasm threads). */
export const wasmCandidate: BackendCandidate = {
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
