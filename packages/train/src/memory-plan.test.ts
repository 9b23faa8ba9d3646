import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, estimateMemory } from '@dit/model';
import { describePlan, modelMemoryEstimate, parseByteSize, planMemory, type EstimateMemory } from './memory-plan.js';

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
    const config = { hiddenSize: 1 };
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
    expect(plan.peakBytes).toBe(estimate(DEFAULT_CONFIG, { batch: plan.microBatch, height: 64, width: 64, training: true, checkpointing: plan.checkpointing }));
    expect(describePlan(plan)).toMatch(new RegExp(`batch 8 as ${8 / plan.microBatch} x micro-batch ${plan.microBatch}, gradient checkpointing ${plan.checkpointing ? 'on' : 'off'}; chosen for the 14\\.90 GiB budget`));
  });
});
