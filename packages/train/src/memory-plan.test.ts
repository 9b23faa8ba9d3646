import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, estimateMemory, setWebgpuKernelsEnabled } from '@dit/model';
import { describePlan, modelMemoryEstimate, parseByteSize, planMemory, WEBGPU_ASSUMED_MEMORY_BYTES, type EstimateMemory } from './memory-plan.js';

/** A made-up estimate: 1 GB of weights and state, 1 GB per sample, halved by checkpointing. */
const estimate: EstimateMemory = (_config, { batch, training, checkpointing }) => 1e9 + (training ? batch * 1e9 * (checkpointing ? 0.5 : 1) : 0);
const sizes = [{ height: 64, width: 64 }, { height: 80, width: 48 }];

describe('planMemory', () => {
  it('parses sizes', () => {
    expect(parseByteSize('16GB')).toBe(16e9);
    expect(parseByteSize('16 GiB')).toBe(16 * 2 ** 30);
    expect(parseByteSize('512mb')).toBe(512e6);
    expect(parseByteSize(1234)).toBe(1234);
    expect(() => parseByteSize('16 gigs')).toThrow(/memoryBudget must look like/);
    expect(() => parseByteSize(-1)).toThrow(/memoryBudget/);
  });

  it('picks the largest micro-batch that fits, preferring no checkpointing, and says so', () => {
    const config = { ...DEFAULT_CONFIG };
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '9.5GB', estimate })).toMatchObject({ microBatch: 8, checkpointing: false, automatic: true });
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '6GB', estimate })).toMatchObject({ microBatch: 8, checkpointing: true });
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '4GB', estimate })).toMatchObject({ microBatch: 4, checkpointing: true });
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '5GB', estimate })).toMatchObject({ microBatch: 8, checkpointing: true });
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '3.2GB', estimate })).toMatchObject({ microBatch: 4, checkpointing: true, peakBytes: 3e9 });
    const plan = planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '2.5GB', estimate });
    expect(plan).toMatchObject({ microBatch: 2, checkpointing: true, peakBytes: 2e9 });
    expect(describePlan(plan)).toMatch(/estimated peak 1\.86 GiB .*latents 64x64, batch 8 as 4 x micro-batch 2, gradient checkpointing on; chosen for the 2\.33 GiB budget/);
    expect(() => planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', budget: '1GB', estimate })).toThrow(/memoryBudget 953\.7 MiB is too small/);
    // On wasm the 4 GiB heap caps any budget, and applies without one.
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'wasm', budget: '16GB', estimate })).toMatchObject({ microBatch: 4, checkpointing: true, limit: 'wasm-heap' });
    const wasm = planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'wasm', estimate });
    expect(wasm).toMatchObject({ microBatch: 4, checkpointing: true, automatic: true });
    expect(describePlan(wasm)).toContain('chosen for the 2.80 GiB usable wasm heap');
    expect(planMemory({ config, batchSize: 2, latentSizes: sizes, backend: 'wasm', estimate })).toMatchObject({ microBatch: 2, checkpointing: false, automatic: false });
    // Fixed choices are only estimated without a budget.
    expect(planMemory({ config, batchSize: 8, latentSizes: sizes, backend: 'cpu', microBatch: 2, checkpointing: true, estimate })).toMatchObject({ microBatch: 2, checkpointing: true, peakBytes: 2e9, automatic: false });
  });

  it("fits the original's batch 8 at 512 px (64x64 latents) in 16 GB in float32, and says what it chose", () => {
    // AdamW's two float32 moments plus the EMA copy of phase 3: the heaviest phase of SPEC section 6.
    const estimate = modelMemoryEstimate({ stateCopies: 3 });
    const latentSizes = [{ height: 64, width: 64 }, { height: 80, width: 48 }, { height: 48, width: 80 }];
    const plan = planMemory({ config: DEFAULT_CONFIG, batchSize: 8, latentSizes, backend: 'node-gpu', budget: '16GB', estimate });
    expect(plan.peakBytes).toBeLessThanOrEqual(16e9);
    expect(plan.automatic).toBe(true);
    // By the model's estimate the whole batch fits without checkpointing (about 11.6 GiB).
    expect(plan).toMatchObject({ microBatch: 8, checkpointing: false });
    // A smaller card (8 GB) makes it choose: checkpointing first, then smaller micro-batches.
    const small = planMemory({ config: DEFAULT_CONFIG, batchSize: 8, latentSizes, backend: 'node-gpu', budget: '8GB', estimate });
    expect(small.peakBytes).toBeLessThanOrEqual(8e9);
    expect(small.checkpointing || small.microBatch < 8).toBe(true);
    const full = estimateMemory(DEFAULT_CONFIG, { batch: 8, height: 64, width: 64, training: true, optimizerStates: 3 }).totalBytes;
    expect(full).toBeGreaterThan(8e9);
    expect(plan.peakBytes).toBe(estimate(DEFAULT_CONFIG, { batch: plan.microBatch, height: 64, width: 64, training: true, checkpointing: plan.checkpointing, backend: 'node-gpu' }));
    expect(describePlan(plan)).toMatch(new RegExp(`batch 8 as ${8 / plan.microBatch} x micro-batch ${plan.microBatch}, gradient checkpointing ${plan.checkpointing ? 'on' : 'off'}; chosen for the 14\\.90 GiB budget`));
  });

  describe('on WebGPU', () => {
    const estimate = modelMemoryEstimate({ stateCopies: 3 });
    const latentSizes = [{ height: 64, width: 64 }];
    // What Dawn's lavapipe reports (the smallest binding WebGPU allows), and a desktop GPU's order of magnitude.
    const lavapipe = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 32 - 1 };
    const desktop = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 };
    const original8 = (options: Partial<Parameters<typeof planMemory>[0]> = {}) =>
      planMemory({ config: DEFAULT_CONFIG, batchSize: 8, latentSizes, backend: 'webgpu', limits: desktop, budget: '16GB', estimate, ...options });
    afterEach(() => setWebgpuKernelsEnabled('env'));

    it("plans the original preset's batch 8 at 512 px into 16 GB, buffer pool included", () => {
      // With @dit's WebGPU kernels (the default): the whole batch, no checkpointing.
      setWebgpuKernelsEnabled(true);
      const plan = original8();
      expect(plan).toMatchObject({ microBatch: 8, checkpointing: false, automatic: true, limit: 'budget', limitedByTensorSize: false });
      expect(plan.peakBytes).toBeLessThanOrEqual(16e9);
      // tfjs-webgpu's pool is counted: more than the tensors alone.
      const tensors = estimateMemory(DEFAULT_CONFIG, { batch: 8, height: 64, width: 64, training: true, optimizerStates: 3 });
      expect(plan.peakBytes).toBeGreaterThan(tensors.totalBytes);
      expect(plan.largestTensor).toMatchObject({ shape: [10240, 4096] });
      expect(describePlan(plan)).toMatch(/estimated peak 13\.\d\d GiB per training step on webgpu \(latents 64x64, batch 8 as 1 x micro-batch 8, gradient checkpointing off; chosen for the 14\.90 GiB budget\)/);
      // With tfjs' generic kernels the pool grows more: checkpointing.
      setWebgpuKernelsEnabled(false);
      const generic = original8();
      expect(generic).toMatchObject({ microBatch: 8, checkpointing: true });
      expect(generic.peakBytes).toBeLessThanOrEqual(16e9);
      expect(estimate(DEFAULT_CONFIG, { batch: 8, height: 64, width: 64, training: true, checkpointing: false, backend: 'webgpu' })).toBeGreaterThan(16e9);
    });

    it('keeps every tensor under the binding limit: micro-batch 4 on a 128 MiB binding, and says why', () => {
      const plan = original8({ limits: lavapipe });
      expect(plan).toMatchObject({ microBatch: 4, limitedByTensorSize: true, tensorLimitBytes: 128 * 2 ** 20 });
      expect(plan.largestTensor.bytes).toBeLessThanOrEqual(128 * 2 ** 20);
      expect(describePlan(plan)).toContain('and the largest tensor, MLP hidden activations [B*N, 4D] 80.0 MiB, under the device\'s 128.0 MiB binding limit');
      // Without a budget too, and with a fixed micro-batch that cannot fit it names the tensor.
      expect(original8({ limits: lavapipe, budget: '100GB' }).microBatch).toBe(4);
      expect(() => original8({ limits: lavapipe, budget: undefined, microBatch: 8 })).toThrow(
        /creates the MLP hidden activations \[B\*N, 4D\] = \[10240, 4096\] \(160\.0 MiB\), more than this device binds in one buffer \(128\.0 MiB\); use a smaller microBatch/,
      );
      const tiny = { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 30 };
      expect(() => original8({ limits: tiny, budget: undefined })).toThrow(/use smaller latents/);
    });

    it('assumes 8 GiB without a budget (WebGPU reports no memory size) and says so', () => {
      for (const kernels of [true, false]) {
        setWebgpuKernelsEnabled(kernels);
        const plan = original8({ budget: undefined });
        expect(plan).toMatchObject({ limit: 'webgpu-assumed', budgetBytes: WEBGPU_ASSUMED_MEMORY_BYTES, automatic: true, checkpointing: true });
        expect(plan.microBatch).toBe(kernels ? 8 : 2);
        expect(plan.peakBytes).toBeLessThanOrEqual(WEBGPU_ASSUMED_MEMORY_BYTES);
        expect(describePlan(plan)).toContain('8.00 GiB assumed GPU memory (WebGPU reports none; set --memory-budget)');
      }
      // A configuration that fits stands as configured.
      const small = planMemory({ config: { ...DEFAULT_CONFIG, depth: 2 }, batchSize: 2, latentSizes, backend: 'webgpu', limits: desktop, estimate });
      expect(small).toMatchObject({ automatic: false, microBatch: 2, checkpointing: false, limit: 'webgpu-assumed' });
    });
  });
});
