import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';

const webgpu = await webgpuForTests();
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe.skipIf(!webgpu.available)(`the webgpu backend${webgpu.skipNote}`, () => {
  const original = tf.getBackend();
  afterAll(async () => {
    await tf.setBackend(original);
  });

  it('forced, runs on any adapter and reports it with its limits', async () => {
    const lines: string[] = [];
    const choice = await selectBackend({ force: 'webgpu', env: {}, log: (l) => lines.push(l) });
    expect(choice.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(choice.adapter!.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(choice.adapter!.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(lines[0]).toMatch(/^tfjs backend: webgpu on .*(software|hardware).*binding .*\(forced\)$/);
    const before = tf.memory().numTensors;
    const x = tf.tensor([1, 2, 3]);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.square(v)))(x);
    expect(Array.from(await grad.data())).toEqual([2, 4, 6]);
    tf.dispose([x, grad]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.runIf(webgpu.adapter?.software)('unforced, passes over a software adapter, keeping its report and the reason', async () => {
    const choice = await selectBackend({ env: {}, order: ['webgpu', 'cpu'] });
    expect(choice.name).toBe('cpu');
    const attempt = choice.attempts[0];
    expect(attempt).toMatchObject({ name: 'webgpu', ok: false, adapter: { software: true } });
    expect(attempt.reason).toMatch(/only a software adapter, .*: used when forced \(DIT_BACKEND=webgpu\)/);
  });

  it('lets a script that used it exit by itself', () => {
    expect(existsSync(dist), `${dist} missing: run pnpm build`).toBe(true);
    // A training-like loop, a read-back left pending at the end, and no process.exit.
    const script = `
      import { selectBackend } from ${JSON.stringify(dist)};
      import * as tf from '@tensorflow/tfjs-core';
      await selectBackend({ force: 'webgpu' });
      const w = tf.variable(tf.randomNormal([32, 32], 0, 1, 'float32', 1));
      const optimizer = tf.train.adam(0.01);
      for (let i = 0; i < 3; i++) optimizer.minimize(() => tf.sum(tf.square(tf.matMul(w, w))));
      console.log('loss', (await tf.sum(w).data())[0]);
      tf.matMul(w, w).data();
    `;
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
    expect(run.signal, `still running after ${Date.now() - started} ms: ${run.stderr}`).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^loss -?\d/m);
  });
});
