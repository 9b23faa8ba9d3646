import { DEFAULT_CONFIG, type DiTConfig } from './config.js';

/**
 * Named architectures, one line each (as DiT's `DiT_XL_2`...). `original` is the original model
 * (SPEC section 2); `small` is what the benchmarks train; `tiny` runs tests and demos on a CPU.
 */
const NAMED_PRESETS = {
  original: { ...DEFAULT_CONFIG },
  small: { inChannels: 4, patchSize: 2, hiddenSize: 256, depth: 4, numHeads: 4, textDim: 1152, textLength: 256 },
  tiny: { inChannels: 4, patchSize: 2, hiddenSize: 64, depth: 2, numHeads: 4, textDim: 48, textLength: 16 },
} as const satisfies Record<string, DiTConfig>;

/** The old name of `original`, kept for one minor release. */
interface DeprecatedPresets {
  /** @deprecated Renamed `original` (the name `seed` read like the constructor's `seed` option); removed in the next minor release. */
  readonly seed: (typeof NAMED_PRESETS)['original'];
}

/**
 * The presets by name. The deprecated alias `seed` is not enumerable, so `Object.keys(presets)`
 * lists the current names only.
 */
export const presets: typeof NAMED_PRESETS & DeprecatedPresets = Object.defineProperty({ ...NAMED_PRESETS }, 'seed', {
  value: NAMED_PRESETS.original,
  enumerable: false,
}) as typeof NAMED_PRESETS & DeprecatedPresets;

/** A preset name; `seed` is the deprecated name of `original`. */
export type PresetName = keyof typeof presets;
