import * as tf from '@tensorflow/tfjs-core';
import nodeUtil from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CANDIDATES, selectBackend, type BackendCandidate, type BackendName } from './backend.js';
import { installTfjsNodeUtilShim } from './backends/node-util-shim.js';
import type { WebgpuAdapterReport } from './webgpu/adapter.js';

function fake(name: BackendName, outcome: 'ok' | 'missing' | 'throws', calls: string[]): BackendCandidate {
  return {
    name,
    tfjsName: 'cpu',
    probe: () => (outcome === 'missing' ? { available: false, reason: `${name} missing` } : { available: true }),
    async activate() {
      calls.push(name);
      if (outcome === 'throws') throw new Error(`${name} failed to load`);
      await tf.setBackend('cpu');
    },
  };
}

describe('selectBackend', () => {
  const original = tf.getBackend();
  afterAll(async () => {
    await tf.setBackend(original);
  });

  it('tries node-gpu, webgpu, node, wasm, cpu in that order and takes the first that loads', async () => {
    const calls: string[] = [];
    const choice = await selectBackend({
      env: {},
      candidates: [fake('cpu', 'ok', calls), fake('wasm', 'ok', calls), fake('node', 'throws', calls), fake('webgpu', 'throws', calls), fake('node-gpu', 'missing', calls)],
    });
    expect(choice.name).toBe('wasm');
    expect(calls).toEqual(['webgpu', 'node', 'wasm']);
    expect(choice.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['node-gpu', false],
      ['webgpu', false],
      ['node', false],
      ['wasm', true],
    ]);
    expect(choice.attempts[2].reason).toContain('node failed to load');
  });

  it('tells a candidate whether it was forced, and keeps the adapter a declined webgpu reports', async () => {
    const seen: (boolean | undefined)[] = [];
    const adapter = { vendor: 'mesa', architecture: 'software', device: '', description: 'llvmpipe', software: true } as unknown as WebgpuAdapterReport;
    const webgpu: BackendCandidate = {
      name: 'webgpu',
      tfjsName: 'cpu',
      probe: () => ({ available: true }),
      async activate({ forced }) {
        seen.push(forced);
        if (!forced) throw Object.assign(new Error('only a software adapter'), { adapter });
        await tf.setBackend('cpu');
        return { adapter };
      },
    };
    const candidates = [webgpu, fake('cpu', 'ok', [])];
    const unforced = await selectBackend({ env: {}, order: ['webgpu', 'cpu'], candidates });
    expect(unforced.name).toBe('cpu');
    expect(unforced.attempts[0]).toEqual({ name: 'webgpu', ok: false, reason: 'only a software adapter', adapter });
    const forced = await selectBackend({ env: { DIT_BACKEND: 'webgpu' }, candidates });
    expect(forced).toMatchObject({ name: 'webgpu', forced: true, adapter });
    expect(seen).toEqual([false, true]);
  });

  it('is forced by the option and by DIT_BACKEND, the option winning', async () => {
    const calls: string[] = [];
    const candidates = [fake('wasm', 'ok', calls), fake('cpu', 'ok', calls)];
    expect((await selectBackend({ env: { DIT_BACKEND: 'cpu' }, candidates })).name).toBe('cpu');
    const forced = await selectBackend({ env: { DIT_BACKEND: 'cpu' }, force: 'wasm', candidates });
    expect(forced.name).toBe('wasm');
    expect(forced.forced).toBe(true);
  });

  it('fails loudly when a forced backend cannot load, and on unknown names', async () => {
    const candidates = [fake('node', 'missing', []), fake('cpu', 'ok', [])];
    await expect(selectBackend({ force: 'node', candidates, env: {} })).rejects.toThrow(/backend 'node' was requested.*\n.*node missing/);
    await expect(selectBackend({ env: { DIT_BACKEND: 'tpu' }, candidates })).rejects.toThrow(/DIT_BACKEND: unknown backend 'tpu'/);
  });

  it('on this machine skips native packages without their library (and a software WebGPU adapter) and lands on wasm quietly', async () => {
    const lines: string[] = [];
    const choice = await selectBackend({ env: {}, log: (l) => lines.push(l) });
    expect(['node-gpu', 'webgpu', 'node', 'wasm']).toContain(choice.name);
    expect(tf.getBackend()).toBe(choice.tfjsName);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`tfjs backend: ${choice.name}`);
    const x = tf.tensor([1, 2, 3]);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.square(v)))(x);
    expect(Array.from(await grad.data())).toEqual([2, 4, 6]);
    tf.dispose([x, grad]);
  });
});

// Runs where tfjs-node's addon is built (CI's Node 24 native run, tools/tfjs-node-offline).
const tfjsNode = DEFAULT_CANDIDATES.find((c) => c.name === 'node')!;
const nodeMajor = Number(process.versions.node.split('.')[0]);
describe.skipIf(!tfjsNode.probe().available)('selectBackend with the real tfjs-node', () => {
  const original = tf.getBackend();
  afterAll(async () => {
    installTfjsNodeUtilShim();
    await tf.setBackend(original);
  });

  it.skipIf(nodeMajor < 23)('on Node >= 23 without the util shim: tfjs-node loads, fails its works-check, and is skipped', async () => {
    const util = nodeUtil as unknown as Record<string, unknown>;
    const shimmed = util.isNullOrUndefined;
    delete util.isNullOrUndefined;
    try {
      const withoutShim: BackendCandidate = {
        ...tfjsNode,
        async activate() {
          await import('@tensorflow/tfjs-node');
          if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow did not initialise');
        },
      };
      const choice = await selectBackend({ env: {}, order: ['node', 'cpu'], candidates: [withoutShim, fake('cpu', 'ok', [])] });
      expect(choice.name).toBe('cpu');
      expect(choice.attempts[0].reason).toMatch(/works-check.*isNullOrUndefined\) is not a function/);
    } finally {
      if (shimmed) util.isNullOrUndefined = shimmed;
    }
  });

  it('installs the shim, passes the works-check and runs topk', async () => {
    const choice = await selectBackend({ env: {}, force: 'node' });
    expect(choice.attempts).toEqual([{ name: 'node', ok: true }]);
    expect(tf.getBackend()).toBe('tensorflow');
    // tf.topk is the other tfjs-node kernel that calls util.isNullOrUndefined.
    const top = tf.topk(tf.tensor1d([3, 1, 2]), 2);
    expect(Array.from(await top.values.data())).toEqual([3, 2]);
    tf.dispose([top.values, top.indices]);
  });
});
