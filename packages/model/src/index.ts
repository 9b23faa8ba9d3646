// Importing @dit/core registers tfjs' gradients and chained ops (its union-package import),
// which the backward passes here rely on, in ESM and CommonJS alike.
import '@dit/core';

export { SingleStreamDiTV2, type SingleStreamDiTV2Options, type FromPretrainedOptions, type NamedVariable } from './model.js';
export { presets, type PresetName } from './presets.js';
export {
  DEFAULT_CONFIG,
  DiTConfigError,
  resolveConfig,
  validateConfig,
  tokenLayout,
  configToJson,
  configFromJson,
  type DiTConfig,
} from './config.js';
export { stateDictShapes, countParameters, countParametersExact, type StateDictEntry } from './state-dict.js';
export { initializeWeights, initRule, type InitRule, type InitializeWeightsOptions } from './init.js';
export {
  estimateMemory,
  assertFitsBackend,
  MemoryLimitError,
  WASM_HEAP_BYTES,
  WASM_HEAP_USABLE_FRACTION,
  WEBGPU_POOL_FACTOR,
  WEBGPU_POOL_FACTOR_WITH_KERNELS,
  WEBGPU_OPTIMIZER_TEMPORARIES,
  type MemoryEstimate,
  type MemoryEstimateOptions,
  type BackendFitOptions,
} from './memory.js';
export { largestTensor, largestBatchWithin, type LargestTensor, type LargestTensorOptions } from './largest-tensor.js';
export { deviceBufferLimits, setDeviceBufferLimits, type DeviceBufferLimits } from './internals/device-limits.js';
export { WeightsError, type LoadReport, type LoadWeightsOptions, type SaveWeightsOptions, type ShapeMismatch, type StateDictTensor } from './weights.js';
export { originalIncompatibilities, originalIncompatibilityWarning } from './original-compat.js';
export { CONFIG_FILE, WEIGHTS_FILE } from './pretrained.js';
export { forwardFlops, trainingStepFlops } from './flops.js';
export { rope2dAngles, ropeTables, applyRope, type RopeTables } from './rope.js';
export { timestepEmbedding, TIMESTEP_FEATURES } from './timestep.js';
export { patchify, unpatchify } from './patchify.js';
export {
  setWebgpuKernelsEnabled,
  webgpuKernelSwitches,
  WEBGPU_KERNEL_NAMES,
  type WebgpuKernelName,
} from './webgpu/switches.js';
export { flashAttentionApplies, flashAttentionSupportsHeadDim, type FlashAttentionSupport } from './webgpu/flash-attention.js';
