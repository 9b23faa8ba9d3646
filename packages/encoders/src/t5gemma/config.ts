/**
 * The encoder half of T5Gemma 2, as read from a Hugging Face `config.json` (SPEC section 7).
 * Every value comes from the file at load time; where the file leaves a field out, the
 * transformers default for `T5Gemma2TextConfig` applies, as it would in Python.
 */

export type LayerType = 'sliding_attention' | 'full_attention';
export const LAYER_TYPES: readonly LayerType[] = ['sliding_attention', 'full_attention'];

/** Rotary embedding of one layer type: inverse frequencies theta^(-2i/headDim) / linearFactor. */
export interface RopeConfig {
  theta: number;
  /** Linear ("position interpolation") scaling factor; 1 means none. */
  linearFactor: number;
}

export type HiddenActivation = 'gelu_pytorch_tanh' | 'gelu';

export interface T5Gemma2EncoderConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads; each serves numHeads / numKeyValueHeads query heads. */
  numKeyValueHeads: number;
  headDim: number;
  /** Attention scores are scaled by queryPreAttnScalar^-0.5 (not headDim^-0.5). */
  queryPreAttnScalar: number;
  /** Window of the sliding layers; the bidirectional encoder splits it around the query (see mask.ts). */
  slidingWindow: number;
  layerTypes: LayerType[];
  rope: Record<LayerType, RopeConfig>;
  rmsNormEps: number;
  hiddenActivation: HiddenActivation;
  /**
   * The config's `attn_logit_softcapping`, kept for reference but not applied: transformers'
   * T5Gemma 2 encoder ignores it (its attention never receives it), and so does this one.
   */
  attnLogitSoftcapping: number | null;
  /** Token whose embedding is replaced by the checkpoint's `eoi_embedding` (end of image). */
  eoiTokenIndex: number;
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
}

/** transformers' `T5Gemma2TextConfig` defaults, used for fields a config.json leaves out. */
export const T5GEMMA2_TEXT_DEFAULTS = {
  vocab_size: 262_208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  sliding_window_pattern: 6,
  rms_norm_eps: 1e-6,
  hidden_activation: 'gelu_pytorch_tanh',
  pad_token_id: 0,
  eos_token_id: 1,
  bos_token_id: 2,
  eoi_token_index: 256_000,
  rope_theta: { full_attention: 1_000_000, sliding_attention: 10_000 },
} as const;

export class T5Gemma2ConfigError extends Error {
  constructor(source: string, field: string, message: string) {
    super(`${source}: ${field}: ${message}`);
    this.name = 'T5Gemma2ConfigError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Finds the text config inside a full T5Gemma 2 config, an encoder config, or a bare text config. */
function locateTextConfig(json: Json, source: string): { text: Json; path: string; eoi: unknown } {
  if (isObject(json.encoder)) {
    const encoder = json.encoder;
    if (!isObject(encoder.text_config)) throw new T5Gemma2ConfigError(source, 'encoder.text_config', 'missing or not an object');
    return { text: encoder.text_config, path: 'encoder.text_config', eoi: encoder.eoi_token_index ?? json.eoi_token_index };
  }
  if (isObject(json.text_config)) return { text: json.text_config, path: 'text_config', eoi: json.eoi_token_index };
  if ('hidden_size' in json || json.model_type === 't5gemma2_text') return { text: json, path: '', eoi: json.eoi_token_index };
  throw new T5Gemma2ConfigError(source, 'encoder', 'not a T5Gemma 2 config (expected encoder.text_config, text_config, or a text config)');
}

/**
 * Parses a T5Gemma 2 `config.json` (full encoder-decoder, encoder-only, or text-only nesting) into
 * the values the encoder needs. Errors name the file and the field.
 */
export function parseT5Gemma2Config(json: unknown, source = 'config.json'): T5Gemma2EncoderConfig {
  if (!isObject(json)) throw new T5Gemma2ConfigError(source, '(root)', 'config is not a JSON object');
  const { text, path, eoi } = locateTextConfig(json, source);
  const field = (name: string) => (path ? `${path}.${name}` : name);
  const d = T5GEMMA2_TEXT_DEFAULTS;

  const int = (name: keyof typeof d & string, min = 1): number => {
    const value = text[name] ?? d[name];
    if (!Number.isInteger(value) || (value as number) < min) {
      throw new T5Gemma2ConfigError(source, field(name), `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  const positive = (value: unknown, name: string): number => {
    if (typeof value !== 'number' || !(value > 0)) throw new T5Gemma2ConfigError(source, name, `expected a positive number, got ${JSON.stringify(value)}`);
    return value;
  };

  const numLayers = int('num_hidden_layers');
  const numHeads = int('num_attention_heads');
  const numKeyValueHeads = int('num_key_value_heads');
  if (numHeads % numKeyValueHeads !== 0) {
    throw new T5Gemma2ConfigError(source, field('num_key_value_heads'), `${numKeyValueHeads} does not divide num_attention_heads ${numHeads}`);
  }
  const hiddenSize = int('hidden_size');
  const headDim = text.head_dim == null ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new T5Gemma2ConfigError(source, field('head_dim'), `must be an even integer for rotary embeddings, got ${headDim}`);
  }

  const activation = text.hidden_activation ?? text.hidden_act ?? d.hidden_activation;
  if (activation !== 'gelu_pytorch_tanh' && activation !== 'gelu') {
    throw new T5Gemma2ConfigError(source, field('hidden_activation'), `unsupported activation ${JSON.stringify(activation)} (gelu_pytorch_tanh or gelu)`);
  }
  if (text.attention_bias === true) {
    throw new T5Gemma2ConfigError(source, field('attention_bias'), 'attention biases are not supported (T5Gemma 2 has none)');
  }
  const softcap = text.attn_logit_softcapping;
  const eoiTokenIndex = eoi ?? d.eoi_token_index;
  if (!Number.isInteger(eoiTokenIndex)) throw new T5Gemma2ConfigError(source, 'encoder.eoi_token_index', `expected an integer, got ${JSON.stringify(eoiTokenIndex)}`);
  const eosRaw = text.eos_token_id ?? d.eos_token_id;

  return {
    vocabSize: int('vocab_size'),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers,
    numHeads,
    numKeyValueHeads,
    headDim,
    queryPreAttnScalar: positive(text.query_pre_attn_scalar ?? d.query_pre_attn_scalar, field('query_pre_attn_scalar')),
    slidingWindow: int('sliding_window'),
    layerTypes: parseLayerTypes(text, numLayers, source, field),
    rope: parseRope(text, source, field),
    rmsNormEps: positive(text.rms_norm_eps ?? d.rms_norm_eps, field('rms_norm_eps')),
    hiddenActivation: activation,
    attnLogitSoftcapping: softcap == null ? null : positive(softcap, field('attn_logit_softcapping')),
    eoiTokenIndex: eoiTokenIndex as number,
    padTokenId: int('pad_token_id', 0),
    bosTokenId: int('bos_token_id', 0),
    eosTokenId: Array.isArray(eosRaw) ? (eosRaw[0] as number) : (eosRaw as number),
  };
}

/** `layer_types`, or the older `sliding_window_pattern`: every pattern-th layer is full attention. */
function parseLayerTypes(text: Json, numLayers: number, source: string, field: (n: string) => string): LayerType[] {
  if (text.layer_types != null) {
    const types = text.layer_types;
    if (!Array.isArray(types) || types.length !== numLayers || !types.every((t) => LAYER_TYPES.includes(t as LayerType))) {
      throw new T5Gemma2ConfigError(
        source,
        field('layer_types'),
        `expected ${numLayers} entries of ${LAYER_TYPES.join(' / ')}, got ${JSON.stringify(types)}`,
      );
    }
    return [...(types as LayerType[])];
  }
  const pattern = text.sliding_window_pattern ?? T5GEMMA2_TEXT_DEFAULTS.sliding_window_pattern;
  if (!Number.isInteger(pattern) || (pattern as number) < 1) {
    throw new T5Gemma2ConfigError(source, field('sliding_window_pattern'), `expected a positive integer, got ${JSON.stringify(pattern)}`);
  }
  return Array.from({ length: numLayers }, (_, i) => ((i + 1) % (pattern as number) === 0 ? 'full_attention' : 'sliding_attention'));
}

/**
 * RoPE per layer type. New configs nest `rope_parameters` by layer type; older ones give
 * `rope_theta` (full layers), `rope_local_base_freq` (sliding layers) and `rope_scaling` (full layers).
 */
function parseRope(text: Json, source: string, field: (n: string) => string): Record<LayerType, RopeConfig> {
  // As in transformers, entries not keyed by layer type are ignored.
  const params = isObject(text.rope_parameters) ? text.rope_parameters : {};
  const legacyScaling = isObject(text.rope_scaling) ? text.rope_scaling : null;
  const legacyTheta: Record<LayerType, unknown> = { full_attention: text.rope_theta, sliding_attention: text.rope_local_base_freq };
  const out = {} as Record<LayerType, RopeConfig>;
  for (const type of LAYER_TYPES) {
    const name = field(`rope_parameters.${type}`);
    const entry: Json = { ...(isObject(params[type]) ? params[type] : {}) };
    if (type === 'full_attention' && legacyScaling) Object.assign(entry, legacyScaling);
    const ropeType = entry.rope_type ?? entry.type ?? 'default';
    const theta = entry.rope_theta ?? legacyTheta[type] ?? T5GEMMA2_TEXT_DEFAULTS.rope_theta[type];
    if (typeof theta !== 'number' || !(theta > 0)) throw new T5Gemma2ConfigError(source, `${name}.rope_theta`, `expected a positive number, got ${JSON.stringify(theta)}`);
    if (ropeType === 'default') {
      out[type] = { theta, linearFactor: 1 };
    } else if (ropeType === 'linear') {
      const factor = entry.factor;
      if (typeof factor !== 'number' || !(factor > 0)) throw new T5Gemma2ConfigError(source, `${name}.factor`, `expected a positive number, got ${JSON.stringify(factor)}`);
      out[type] = { theta, linearFactor: factor };
    } else {
      throw new T5Gemma2ConfigError(source, `${name}.rope_type`, `unsupported RoPE type ${JSON.stringify(ropeType)} (default or linear)`);
    }
    if (entry.partial_rotary_factor != null && entry.partial_rotary_factor !== 1) {
      throw new T5Gemma2ConfigError(source, `${name}.partial_rotary_factor`, 'partial rotary embeddings are not supported');
    }
  }
  return out;
}
