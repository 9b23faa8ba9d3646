import '@dit/core';

export { sample, SAMPLE_DEFAULTS, type SampleOptions, type SampleStepInfo } from './sample.js';
export { euler } from './euler.js';
export { midpoint } from './midpoint.js';
export { heun } from './heun.js';
export { rk4 } from './rk4.js';
export { rk4Original } from './rk4-original.js';
export { dpmSolver2M } from './dpm-solver-2m.js';
export { defineSampler, type DefineSamplerOptions } from './define-sampler.js';
export {
  registerSampler,
  unregisterSampler,
  getSampler,
  listSamplers,
  resolveSampler,
  BUILT_IN_SAMPLERS,
  type RegisterSamplerOptions,
} from './registry.js';
export { timestepGrid, TIMESTEP_GRID_DEFAULTS, type TimestepGridOptions } from './grid.js';
export { guidedVelocity, GUIDANCE_DEFAULTS, type CfgMode, type GuidedVelocity, type GuidedVelocityOptions } from './cfg.js';
export { createNoise, type CreateNoiseOptions } from './noise.js';
export type { VelocityFn, StepVelocity, Sampler, SamplerStepContext, SamplerMemory } from './types.js';
