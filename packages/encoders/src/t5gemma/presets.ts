import type { T5Gemma2EncoderConfig } from './config.js';

const GEMMA3_ROPE = {
  sliding_attention: { theta: 10_000, linearFactor: 1 },
  full_attention: { theta: 1_000_000, linearFactor: 1 },
} as const;

/** Gemma 3 token ids and layer pattern shared by every preset (SPEC section 7). */
function preset(values: Pick<T5Gemma2EncoderConfig, 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKeyValueHeads' | 'headDim'>): T5Gemma2EncoderConfig {
  return {
    vocabSize: 262_144,
    queryPreAttnScalar: values.headDim,
    slidingWindow: 512,
    layerTypes: Array.from({ length: values.numLayers }, (_, i) => ((i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention')),
    rope: { sliding_attention: { ...GEMMA3_ROPE.sliding_attention }, full_attention: { ...GEMMA3_ROPE.full_attention } },
    rmsNormEps: 1e-6,
    hiddenActivation: 'gelu_pytorch_tanh',
    attnLogitSoftcapping: null,
    eoiTokenIndex: 256_000,
    padTokenId: 0,
    bosTokenId: 2,
    eosTokenId: 1,
    ...values,
  };
}

/**
 * Named encoder shapes. `t5gemma-2-1b-1b` is the real encoder (for reference and random
 * stand-ins; a checkpoint's own config.json always wins); `tiny` is a Gemma-3-vocabulary toy
 * for offline demos and tests (its 6th layer would be full attention, so it has 6 layers).
 */
export const T5GEMMA2_PRESETS = {
  't5gemma-2-1b-1b': () => preset({ hiddenSize: 1152, intermediateSize: 6912, numLayers: 26, numHeads: 4, numKeyValueHeads: 1, headDim: 256 }),
  tiny: () => preset({ hiddenSize: 64, intermediateSize: 128, numLayers: 6, numHeads: 4, numKeyValueHeads: 1, headDim: 16 }),
} satisfies Record<string, () => T5Gemma2EncoderConfig>;

export type T5Gemma2PresetName = keyof typeof T5GEMMA2_PRESETS;
