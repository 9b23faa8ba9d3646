import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { releaseWebgpuIdleBuffers, webgpuBufferPool } from '@dit/core';
import { estimateMemory, presets, setWebgpuKernelsEnabled, SingleStreamDiTV2 } from '@dit/model';
import { BufferPoolGuard } from './internals/buffer-pool-guard.js';
import { AdamW } from './optim/adamw.js';
import { webgpuForTests } from '../../../tests/helpers/webgpu.js';

const webgpu = await webgpuForTests();

/** The tiny preset with non-zero weights everywhere, an AdamW, and one training step at a latent size. */
function setup() {
  const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 0, checkMemory: false });
  model.namedVariables().forEach(({ variable }, i) => tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.05, 'float32', 100 + i))));
  const variables = new Map(model.namedVariables().map(({ name, variable }) => [name, variable]));
  const optimizer = new AdamW(variables);
  const step = async (batch: number, height: number, width: number, update = true) => {
    const [x, t, text] = [
      tf.randomNormal([batch, 4, height, width], 0, 1, 'float32', 1),
      tf.randomUniform([batch], 0, 1, 'float32', 2),
      tf.randomNormal([batch, presets.tiny.textLength, presets.tiny.textDim], 0, 1, 'float32', 3),
    ];
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, t, text))) as tf.Scalar, [...variables.values()]);
    const loss = (await value.data())[0];
    if (update) optimizer.apply(new Map([...variables].map(([name, variable]) => [name, grads[variable.name]])), 1e-3);
    tf.dispose([value, ...Object.values(grads), x, t, text]);
    const flush = tf.zeros([1]);
    await flush.data(); // submits the queue: tfjs-webgpu releases disposed tensors' buffers then
    flush.dispose();
    return loss;
  };
  return { model, optimizer, step };
}

describe.skipIf(!webgpu.available)(`memory on webgpu${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  afterEach(() => setWebgpuKernelsEnabled('env'));

  it.each([
    ["with @dit's WebGPU kernels", true],
    ["with tfjs' generic kernels", false],
  ])("allocates no more than estimateMemory's deviceBytes (buffer pool included) over AdamW steps, %s", async (_, kernels) => {
    setWebgpuKernelsEnabled(kernels);
    // A size apart from the ones the pool constants were measured on.
    const [batch, height, width] = [2, 8, 16];
    const { model, optimizer, step } = setup();
    // Earlier tests' idle buffers out of the way: the pool then holds only tensors in use.
    releaseWebgpuIdleBuffers();
    const before = webgpuBufferPool()!.allocatedBytes;
    for (let i = 0; i < 3; i++) await step(batch, height, width);
    const pool = webgpuBufferPool()!;
    const estimate = estimateMemory(presets.tiny, { batch, height, width, training: true, optimizerStates: 2, backend: 'webgpu' });
    const allocated = pool.allocatedBytes - before;
    // The pool holds more than the tensors alive: tfjs counts them in tf.memory().
    expect(pool.idleBytes).toBeGreaterThan(0);
    expect(allocated, `allocated ${allocated}, estimated ${estimate.deviceBytes}`).toBeLessThanOrEqual(estimate.deviceBytes);
    expect(allocated).toBeGreaterThan(0.6 * estimate.deviceBytes);
    expect(allocated).toBeGreaterThan(estimate.totalBytes);
    optimizer.reset();
    model.dispose();
  });

  it('gives idle buffers back when the latent size changes, and the next steps compute the same', async () => {
    const { model, optimizer, step } = setup();
    const losses = [await step(2, 16, 16, false), await step(2, 8, 24, false)];
    const grown = webgpuBufferPool()!;
    // A budget the two shapes' pools together exceed: the guard releases before the change.
    const guard = new BufferPoolGuard({ budgetBytes: grown.allocatedBytes, peakBytes: grown.allocatedBytes / 2 });
    guard.beforeStep('16x16');
    expect(guard.beforeStep('8x24')).toBeGreaterThan(0);
    const after = webgpuBufferPool()!;
    expect(after.idleBytes).toBe(0);
    expect(after.allocatedBytes).toBeLessThan(grown.allocatedBytes);
    expect([await step(2, 16, 16, false), await step(2, 8, 24, false)]).toEqual(losses);
    // Releasing twice is harmless, and buffers released after a trim still return to the pool.
    expect(releaseWebgpuIdleBuffers()).toBeGreaterThan(0);
    await step(2, 16, 16, false);
    expect(webgpuBufferPool()!.idleBytes).toBeGreaterThan(0);
    optimizer.reset();
    model.dispose();
  });
});
