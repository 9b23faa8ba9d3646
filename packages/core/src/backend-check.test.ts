import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBackendWorks } from './backend-check.js';
import { selectBackend } from './backend.js';
import type { BackendCandidate } from './backend-types.js';

/**
 * Registers a backend that is the cpu backend but for its matrix product: `throws` fails the way
 * tfjs-node 4.22 does on Node 24 without the shim; `wrong` returns zeros (a kernel that runs
 * but computes garbage).
 */
function registerBrokenCpu(name: string, fault: 'throws' | 'wrong'): void {
  if (tf.findBackendFactory(name)) return;
  tf.registerBackend(name, tf.findBackendFactory('cpu')!);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (kernel.kernelName === tf.BatchMatMul) continue;
    tf.registerKernel({ ...kernel, backendName: name });
  }
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: name,
    kernelFunc: ({ inputs, backend }) => {
      if (fault === 'throws') throw new TypeError('(0 , util_1.isNullOrUndefined) is not a function');
      const a = inputs.a as tf.TensorInfo;
      const b = inputs.b as tf.TensorInfo;
      const shape = [...a.shape.slice(0, -1), b.shape[b.shape.length - 1]];
      const size = shape.reduce((n, d) => n * d, 1);
      return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', new Float32Array(size));
    },
  });
}

function candidateOn(name: 'node' | 'node-gpu' | 'wasm' | 'cpu', tfjsName: string): BackendCandidate {
  return {
    name,
    tfjsName,
    probe: () => ({ available: true }),
    async activate() {
      if (!(await tf.setBackend(tfjsName))) throw new Error(`${tfjsName} did not initialise`);
    },
  };
}

describe('checkBackendWorks', () => {
  const original = tf.getBackend();
  afterAll(async () => {
    await tf.setBackend(original);
  });

  it('passes on a working backend and leaves no tensor behind', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    await checkBackendWorks();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the backend and the failure when an op throws or computes wrong values, leaving no tensor', async () => {
    registerBrokenCpu('dit-test-throws', 'throws');
    registerBrokenCpu('dit-test-wrong', 'wrong');
    await tf.setBackend('dit-test-throws');
    await expect(checkBackendWorks()).rejects.toThrow(/'dit-test-throws' backend loaded but failed its works-check.*isNullOrUndefined/);
    expect(tf.memory().numTensors).toBe(0);
    await tf.setBackend('dit-test-wrong');
    await expect(checkBackendWorks()).rejects.toThrow(/matMul .* gave \[0, 0\], expected \[17, 39\]/);
    expect(tf.memory().numTensors).toBe(0);
  });

  it('makes selectBackend skip a backend that loads but fails, with the error in attempts', async () => {
    registerBrokenCpu('dit-test-throws', 'throws');
    const lines: string[] = [];
    const choice = await selectBackend({
      env: {},
      log: (line) => lines.push(line),
      candidates: [candidateOn('node', 'dit-test-throws'), candidateOn('cpu', 'cpu')],
      order: ['node', 'cpu'],
    });
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.attempts[0]).toMatchObject({ name: 'node', ok: false });
    expect(choice.attempts[0].reason).toMatch(/works-check.*isNullOrUndefined/);
    expect(lines[0]).toMatch(/tfjs backend: cpu; skipped node: .*works-check/);
    await expect(selectBackend({ env: {}, force: 'node', candidates: [candidateOn('node', 'dit-test-throws')] })).rejects.toThrow(
      /backend 'node' was requested.*\n.*works-check.*isNullOrUndefined/,
    );
  });
});
