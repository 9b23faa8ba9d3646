import { describe, expect, it } from 'vitest';
import { originalSchedule } from '@dit/train';
import { backendInUse, makePlan, type MakePlanOptions } from '../src/run-plan.js';
import { SCALES } from '../src/scales.js';
import { timeTrainingStep } from '../src/step-time.js';

const options: MakePlanOptions = {
  scale: 'full',
  dataset: { dir: 'flowers', images: 200, uncaptioned: 0, perBucket: [{ bucket: { width: 512, height: 512 }, images: 200 }] },
  schedule: originalSchedule,
  batchSize: 8,
  flip: 'load',
  model: SCALES.full.model,
  downsample: 8,
  optimizer: 'adamw',
  memoryBudget: '16GB',
  stepTiming: null,
};

describe('the plan names the backend as selectBackend does', () => {
  it("on tfjs-node-gpu (tfjs calls it 'tensorflow') the GPU plan is this backend's: no second plan", () => {
    expect(makePlan({ ...options, backend: 'node-gpu' }).memory.here).toBeNull();
    expect(makePlan({ ...options, backend: 'node' }).memory.here?.backend).toBe('node');
    expect(makePlan({ ...options, backend: 'wasm' }).memory.here?.backend).toBe('wasm');
  });

  it('times and labels steps with the plan of the backend in use: WebGPU its own, with the buffer pool', () => {
    for (const backend of ['node-gpu', 'webgpu', 'node', 'wasm'] as const) {
      const plan = makePlan({ ...options, backend });
      expect(plan.memory.active.backend).toBe(backend);
    }
    const webgpu = makePlan({ ...options, backend: 'webgpu' }).memory;
    expect(webgpu.active).toBe(webgpu.webgpu);
    const nodeGpu = makePlan({ ...options, backend: 'node-gpu' }).memory;
    expect(nodeGpu.active).toBe(nodeGpu.gpu);
  });

  it('labels the timed steps with the backend in use', async () => {
    // A plan as on WebGPU (here at 64 px, tiny model: the step itself runs on the test's backend).
    const tiny = { ...options, scale: 'tiny', model: SCALES.tiny.model, batchSize: 2, dataset: { ...options.dataset, perBucket: [{ bucket: { width: 64, height: 64 }, images: 4 }] } };
    const plan = makePlan({ ...tiny, backend: 'webgpu' });
    const timing = await timeTrainingStep({ model: SCALES.tiny.model, dataset: tiny.dataset, batchSize: 2, downsample: 8, optimizer: 'adamw', memory: plan.memory, budgetSeconds: 60 });
    expect(timing.backend).toBe('webgpu');
    expect(timing.measurement.runs.at(-1)).toMatchObject({ batch: 2 });
  });

  it("reads tfjs' 'tensorflow' as tfjs-node when the choice is not given", () => {
    expect(backendInUse('tensorflow')).toBe('node');
    expect(backendInUse('wasm')).toBe('wasm');
    expect(backendInUse('webgpu')).toBe('webgpu');
  });
});
