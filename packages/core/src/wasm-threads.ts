import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const requireHere = createRequire(import.meta.url);

/**
 * Makes the multi-threaded wasm build usable under Node.
 *
 * tfjs turns wasm threads off in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false there) because
 * it hands Emscripten's pthread workers `blob:` URLs, which Node's worker_threads cannot load.
 * We write the worker script to a real file, teach it to load the threaded factory with
 * `require`, and answer the one `URL.createObjectURL` call for the worker blob with that
 * file's path. See {@link withLogicalCores} for the other half: without it, tfjs starts one
 * thread on a 2-core machine whatever was asked.
 */
export function enableWasmThreads(wasmPackageDir: string, threads: number, setThreadsCount: (n: number) => void): void {
  const factoryPath = join(wasmPackageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerModule = join(wasmPackageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  if (!existsSync(factoryPath) || !existsSync(workerModule)) {
    throw new Error(`wasm threads: ${wasmPackageDir} lacks wasm-out/tfjs-backend-wasm-threaded-simd{,.worker}.js`);
  }
  const { wasmWorkerContents } = requireHere(workerModule) as { wasmWorkerContents: string };
  // The blob tfjs creates holds the worker contents with newlines escaped; its size identifies it.
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
  const blobSize = Buffer.byteLength(workerSource);
  const version = (JSON.parse(readFileSync(join(wasmPackageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(tmpdir(), `dit-tfjs-wasm-${version}`);
  const workerPath = join(dir, 'pthread-worker.cjs');
  const script =
    workerSource +
    `\n;(function(){var load=global.importScripts;` +
    `global.importScripts=function(f){if(String(f).indexOf('blob:')===0)return;return load(f)};` +
    `global.WasmBackendModuleThreadedSimd=require(${JSON.stringify(factoryPath)});})();\n`;
  if (!existsSync(workerPath) || readFileSync(workerPath, 'utf8') !== script) {
    mkdirSync(dir, { recursive: true });
    const temp = `${workerPath}.${process.pid}.tmp`;
    writeFileSync(temp, script);
    renameSync(temp, workerPath);
  }
  const patched = URL as unknown as { createObjectURL: (blob: Blob) => string; __ditWasmWorker?: boolean };
  if (!patched.__ditWasmWorker) {
    const original = URL.createObjectURL.bind(URL);
    patched.createObjectURL = (blob: Blob) =>
      blob instanceof Blob && blob.type === 'application/javascript' && blob.size === blobSize ? workerPath : original(blob);
    patched.__ditWasmWorker = true;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
}

/**
 * Runs `start` (the wasm backend's start-up) while Node reports at least `2 * threads` logical
 * cores. tfjs' wasm backend caps its XNNPACK thread pool at `emscripten_num_logical_cores() / 2`,
 * assuming two hardware threads per core, and Emscripten answers that in Node with
 * `os.cpus().length`: on a machine with one thread per core it halves the pool, and on 2 cores
 * it starts no thread at all (measured: `getThreadsCount()` 1 after asking for 2). The count is
 * read once, while the module starts; `os.cpus` is restored as soon as `start` settles.
 */
export async function withLogicalCores<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const os = requireHere('node:os') as typeof import('node:os');
  const cpus = os.cpus;
  const real = cpus();
  if (real.length === 0 || real.length >= 2 * threads) return start();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}
