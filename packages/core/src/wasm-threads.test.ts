import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// Threads must be chosen before wasm first initialises, so this runs in a fresh process
// against the built package (`pnpm test` builds first).
describe('wasm threads under Node', () => {
  it('starts the threaded wasm build with 2 running threads (also on a 2-core machine) and computes the same matmul', () => {
    expect(existsSync(dist), `${dist} missing: run pnpm build`).toBe(true);
    const script = `
      import { selectBackend, Rng } from ${JSON.stringify(dist)};
      import * as tf from '@tensorflow/tfjs-core';
      const choice = await selectBackend({ force: 'wasm', threads: 2 });
      const rng = new Rng(1);
      const a = rng.normalTensor([192, 160]), b = rng.normalTensor([160, 96]);
      const product = await tf.matMul(a, b).data();
      const pthread = tf.backend().wasm.PThread;
      const running = pthread.runningWorkers.length;
      const poolThreads = tf.backend().wasm._get_threads_count();
      const A = await a.data(), B = await b.data();
      let maxError = 0;
      for (let i = 0; i < 192; i += 7) for (let j = 0; j < 96; j += 5) {
        let s = 0; for (let k = 0; k < 160; k++) s += A[i * 160 + k] * B[k * 96 + j];
        maxError = Math.max(maxError, Math.abs(s - product[i * 96 + j]));
      }
      console.log(JSON.stringify({ backend: choice.name, threads: choice.threads, poolThreads, running, maxError }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result.backend).toBe('wasm');
    // XNNPACK's pool: the calling thread and one pthread worker. tfjs alone would start none on a
    // machine with fewer than 4 logical cores (it halves the count, assuming hyperthreads).
    expect(result.threads).toBe(2);
    expect(result.poolThreads).toBe(2);
    expect(result.running).toBe(1);
    expect(result.maxError).toBeLessThan(1e-3);
  });

  it('rejects a bad thread count naming its source', async () => {
    const { selectBackend } = await import('./backend.js');
    await expect(selectBackend({ env: { DIT_WASM_THREADS: 'many' } })).rejects.toThrow(/DIT_WASM_THREADS: expected a positive integer/);
  });
});
