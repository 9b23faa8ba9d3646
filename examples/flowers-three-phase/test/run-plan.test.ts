import { describe, expect, it } from 'vitest';
import { originalSchedule } from '@dit/train';
import { backendInUse, makePlan, type MakePlanOptions } from '../src/run-plan.js';
import { SCALES } from '../src/scales.js';

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

  it("reads tfjs' 'tensorflow' as tfjs-node when the choice is not given", () => {
    expect(backendInUse('tensorflow')).toBe('node');
    expect(backendInUse('wasm')).toBe('wasm');
    expect(backendInUse('webgpu')).toBe('webgpu');
  });
});
