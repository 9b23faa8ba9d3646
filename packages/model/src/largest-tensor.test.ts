import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiTConfig } from './config.js';
import { setDeviceBufferLimits, type DeviceBufferLimits } from './internals/device-limits.js';
import { setPlainProductsOnly } from './internals/products.js';
import { profileStep } from './internals/test-helpers.js';
import { largestBatchWithin, largestTensor } from './largest-tensor.js';
import { assertFitsBackend, MemoryLimitError } from './memory.js';
import { presets } from './presets.js';

/** Bytes of the largest tensor any kernel outputs during one training step (tf.profile). */
async function largestKernelOutput(config: DiTConfig, batch: number, height: number, width: number): Promise<number> {
  const profile = await profileStep(config, { batch, height, width, training: true, randomWeights: true });
  return Math.max(...profile.kernels.flatMap((kernel) => kernel.outputShapes.map((shape) => 4 * shape.reduce((a, b) => a * b, 1))));
}

describe('largestTensor against the kernels of a training step (cpu backend)', () => {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });
  afterEach(() => {
    setPlainProductsOnly('auto');
    setDeviceBufferLimits('auto');
  });

  // tiny at 16x16: N = 80 tokens, D = 64; batch 2 gives 8 head maps of 6400 floats and an MLP hidden of 40960.
  const config = presets.tiny;
  const shape = { batch: 2, height: 16, width: 16 };
  const limited = (bytes: number): DeviceBufferLimits => ({ maxStorageBufferBindingSize: bytes, maxBufferSize: 4 * bytes });
  const cases: [string, boolean, DeviceBufferLimits | null, RegExp][] = [
    ['one head at a time (wasm, cpu): the MLP hidden', true, null, /MLP hidden/],
    ['heads batched (GPU, native): all 8 score maps in one chunk', false, null, /attention scores/],
    ['heads batched under a 64 KiB binding limit: 2 maps per chunk', false, limited(64 * 1024), /MLP hidden/],
    ['under a 16 KiB binding limit: one head in blocks of 51 query rows', false, limited(16 * 1024), /MLP hidden/],
  ];
  it.each(cases)('%s', async (_, plain, limits, name) => {
    setPlainProductsOnly(plain);
    setDeviceBufferLimits(limits);
    const measured = await largestKernelOutput(config, shape.batch, shape.height, shape.width);
    const estimated = largestTensor(config, { ...shape, backend: plain ? 'cpu' : 'webgpu', limits });
    expect(estimated.bytes).toBe(measured);
    expect(estimated.name).toMatch(name);
  });

  it('names the score chunk when it is the largest, as cut under the limit', () => {
    // Hidden 8, 2 heads: the MLP hidden [160, 32] is smaller than one 80 x 80 map.
    const scores = (limits: DeviceBufferLimits | null) => largestTensor({ ...config, hiddenSize: 8, numHeads: 2 }, { ...shape, backend: 'webgpu', limits });
    expect(scores(null)).toMatchObject({ shape: [4, 80, 80] });
    expect(scores(limited(64 * 1024))).toMatchObject({ shape: [2, 80, 80] });
    expect(scores(limited(24 * 1024))).toMatchObject({ shape: [1, 76, 80], bytes: 4 * 76 * 80 });
  });
});

describe('the binding limit of a WebGPU device', () => {
  const lavapipe: DeviceBufferLimits = { maxStorageBufferBindingSize: 128 * 1024 ** 2, maxBufferSize: 4 * 1024 ** 3 - 1 };

  it('refuses the original preset at batch 8, 512 px on a 128 MiB binding limit, naming the tensor and the batch that fits', () => {
    const attempt = () => assertFitsBackend(presets.original, { backend: 'webgpu', limits: lavapipe, batch: 8, training: true });
    expect(attempt).toThrow(MemoryLimitError);
    expect(attempt).toThrow(/creates the MLP hidden activations \[B\*N, 4D\] = \[10240, 4096\] float32 \(160\.0 MiB\), more than this WebGPU device binds in one buffer \(maxStorageBufferBindingSize 128\.0 MiB.*Use batch 6 or less \(in training: microBatch 6/);
    expect(largestBatchWithin(presets.original, { batch: 8, backend: 'webgpu', limits: lavapipe })).toBe(6);
    expect(() => assertFitsBackend(presets.original, { backend: 'webgpu', limits: lavapipe, batch: 6, training: true })).not.toThrow();
  });

  it('lets it run where the device binds 2 GiB, and says when not even one sample fits', () => {
    expect(() => assertFitsBackend(presets.original, { backend: 'webgpu', limits: { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 }, batch: 8, training: true })).not.toThrow();
    expect(() => assertFitsBackend(presets.original, { backend: 'webgpu', limits: { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 30 }, batch: 2 })).toThrow(/Not even one sample fits: use smaller latents/);
  });

  it('is checked by forward on webgpu only', () => {
    expect(() => assertFitsBackend(presets.original, { backend: 'tensorflow', limits: null, batch: 64, training: true })).not.toThrow();
  });
});
