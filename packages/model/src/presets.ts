import { DEFAULT_CONFIG, type DiTConfig } from './config.js';

/**
 * Named architectures, one line each (as DiT's `DiT_XL_2`...). `seed` is the original model
 * (SPEC section 2); `small` is what the benchmarks train; `tiny` runs tests and demos on a CPU.
 */
export const presets = {
  seed: { ...DEFAULT_CONFIG },
  small: { inChannels: 4, patchSize: 2, hiddenSize: 256, depth: 4, numHeads: 4, textDim: 1152, textLength: 256 },
  tiny: { inChannels: 4, patchSize: 2, hiddenSize: 64, depth: 2, numHeads: 4, textDim: 48, textLength: 16 },
} as const satisfies Record<string, DiTConfig>;

export type PresetName = keyof typeof presets;
