import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError, type TensorSource } from '@dit/core';
import type { T5Gemma2EncoderConfig } from './config.js';
import { FileEmbeddingRows } from './embedding.js';
import type { EncoderLayerWeights } from './layer.js';

/** Everything the encoder holds in memory (the embedding table stays on disk). */
export interface EncoderWeights {
  layers: EncoderLayerWeights[];
  /** 1 + w of the final norm, [hidden]. */
  finalNorm: tf.Tensor1D;
  /** Embedding of the end-of-image token, which replaces its scaled table row. */
  eoiEmbedding: Float32Array;
}

/** The tensor names of one checkpoint, whichever layout it uses. */
export interface CheckpointLayout {
  /** Prefix of the text encoder's `layers.*`, e.g. `model.encoder.` or `model.encoder.text_model.`. */
  prefix: string;
  embedding: string;
  eoiEmbedding: string;
}

/**
 * Where text encoder weights live, most specific first. `save_pretrained` writes
 * `model.encoder.layers.*`; transformers 5 names them `model.encoder.text_model.layers.*` in memory,
 * and some exports keep that. Encoder-only saves drop the leading `model.`.
 */
export const TEXT_ENCODER_PREFIXES = ['model.encoder.text_model.', 'model.encoder.', 'encoder.text_model.', 'encoder.', 'text_model.', ''] as const;

/** The decoder's table and the LM head are tied to the encoder's; some files keep only one of them. */
const TIED_EMBEDDINGS = ['model.decoder.embed_tokens.weight', 'decoder.embed_tokens.weight', 'lm_head.out_proj.weight'];
const TIED_EOI = ['model.decoder.embed_tokens.eoi_embedding', 'decoder.embed_tokens.eoi_embedding'];

type Names = Pick<TensorSource, 'path' | 'keys' | 'has' | 'info'>;

/** Finds which layout a checkpoint uses; the vision tower and decoder are not looked at. */
export function detectLayout(source: Names): CheckpointLayout {
  const prefix = TEXT_ENCODER_PREFIXES.find((p) => source.has(`${p}layers.0.self_attn.q_proj.weight`));
  if (prefix === undefined) {
    throw new SafetensorsError(
      source.path,
      `no T5Gemma 2 text encoder found: expected 'model.encoder.layers.0.self_attn.q_proj.weight' or one of the prefixes ${TEXT_ENCODER_PREFIXES.map((p) => `'${p}'`).join(', ')}`,
    );
  }
  const pick = (own: string, tied: string[]) => [own, ...tied].find((name) => source.has(name)) ?? own;
  return {
    prefix,
    embedding: pick(`${prefix}embed_tokens.weight`, TIED_EMBEDDINGS),
    eoiEmbedding: pick(`${prefix}embed_tokens.eoi_embedding`, TIED_EOI),
  };
}

export type TensorRole = 'linear' | 'norm' | 'embedding' | 'vector';

export interface PlannedTensor {
  name: string;
  /** Shape as stored (PyTorch Linear: [out, in]). */
  shape: number[];
  role: TensorRole;
}

const LAYER_TENSORS = [
  ['self_attn.q_proj.weight', 'linear'],
  ['self_attn.k_proj.weight', 'linear'],
  ['self_attn.v_proj.weight', 'linear'],
  ['self_attn.o_proj.weight', 'linear'],
  ['self_attn.q_norm.weight', 'norm'],
  ['self_attn.k_norm.weight', 'norm'],
  ['mlp.gate_proj.weight', 'linear'],
  ['mlp.up_proj.weight', 'linear'],
  ['mlp.down_proj.weight', 'linear'],
  ['pre_self_attn_layernorm.weight', 'norm'],
  ['post_self_attn_layernorm.weight', 'norm'],
  ['pre_feedforward_layernorm.weight', 'norm'],
  ['post_feedforward_layernorm.weight', 'norm'],
] as const;

type LayerTensor = (typeof LAYER_TENSORS)[number][0];

function layerShape(config: T5Gemma2EncoderConfig, tensor: LayerTensor): number[] {
  const { hiddenSize: c, numHeads: h, numKeyValueHeads: kv, headDim: d, intermediateSize: f } = config;
  const shapes: Record<LayerTensor, number[]> = {
    'self_attn.q_proj.weight': [h * d, c],
    'self_attn.k_proj.weight': [kv * d, c],
    'self_attn.v_proj.weight': [kv * d, c],
    'self_attn.o_proj.weight': [c, h * d],
    'self_attn.q_norm.weight': [d],
    'self_attn.k_norm.weight': [d],
    'mlp.gate_proj.weight': [f, c],
    'mlp.up_proj.weight': [f, c],
    'mlp.down_proj.weight': [c, f],
    'pre_self_attn_layernorm.weight': [c],
    'post_self_attn_layernorm.weight': [c],
    'pre_feedforward_layernorm.weight': [c],
    'post_feedforward_layernorm.weight': [c],
  };
  return shapes[tensor];
}

/** Every tensor the encoder reads, with the shape the config implies. */
export function encoderTensorPlan(config: T5Gemma2EncoderConfig, layout: CheckpointLayout): PlannedTensor[] {
  const plan: PlannedTensor[] = [
    { name: layout.embedding, shape: [config.vocabSize, config.hiddenSize], role: 'embedding' },
    { name: layout.eoiEmbedding, shape: [config.hiddenSize], role: 'vector' },
    { name: `${layout.prefix}norm.weight`, shape: [config.hiddenSize], role: 'norm' },
  ];
  for (let i = 0; i < config.numLayers; i++) {
    for (const [tensor, role] of LAYER_TENSORS) plan.push({ name: `${layout.prefix}layers.${i}.${tensor}`, shape: layerShape(config, tensor), role });
  }
  return plan;
}

/**
 * Checks a checkpoint against the config without reading tensor data: every planned tensor is
 * present with its shape, and the text encoder holds nothing else (say, a 27th layer). Other
 * tensors (vision tower, projector, decoder) are ignored.
 */
export function checkCheckpoint(source: Names, config: T5Gemma2EncoderConfig): { layout: CheckpointLayout; plan: PlannedTensor[] } {
  const layout = detectLayout(source);
  const plan = encoderTensorPlan(config, layout);
  for (const { name, shape } of plan) {
    if (!source.has(name)) throw new SafetensorsError(source.path, `missing tensor the T5Gemma 2 encoder needs (expected shape [${shape.join(', ')}])`, name);
    const stored = source.info(name).shape;
    if (stored.length !== shape.length || stored.some((d, i) => d !== shape[i])) {
      throw new SafetensorsError(source.path, `shape [${stored.join(', ')}] does not match the config, which implies [${shape.join(', ')}]`, name);
    }
  }
  const planned = new Set(plan.map((t) => t.name));
  const owned = ['layers.', 'embed_tokens.', 'norm.'].map((part) => layout.prefix + part);
  const extra = source.keys().filter((name) => owned.some((p) => name.startsWith(p)) && !planned.has(name));
  if (extra.length > 0) {
    throw new SafetensorsError(
      source.path,
      `${extra.length} text encoder tensor(s) the config does not account for (num_hidden_layers is ${config.numLayers}), e.g. '${extra[0]}'`,
    );
  }
  return { layout, plan };
}

/** PyTorch [out, in] -> [in, out], so that matmuls are plain x @ W. */
function transposeLinear(data: Float32Array, out: number, inFeatures: number): Float32Array {
  const result = new Float32Array(data.length);
  for (let o = 0; o < out; o++) {
    const row = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) result[i * out + o] = data[row + i];
  }
  return result;
}

/** 1 + w in float32, the scale Gemma's RMSNorm multiplies by. */
export function normScale(weight: Float32Array): tf.Tensor1D {
  const scale = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) scale[i] = 1 + weight[i];
  return tf.tensor1d(scale);
}

/** Builds the in-memory weights from a name -> float data lookup (file or generator). */
export async function buildEncoderWeights(
  config: T5Gemma2EncoderConfig,
  layout: CheckpointLayout,
  read: (name: string, shape: number[]) => Promise<Float32Array>,
): Promise<EncoderWeights> {
  const created: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (created.push(t), t);
  try {
    const linear = async (name: string): Promise<tf.Tensor2D> => {
      const [out, inFeatures] = layerShapeByName(config, name);
      return keep(tf.tensor2d(transposeLinear(await read(name, [out, inFeatures]), out, inFeatures), [inFeatures, out]));
    };
    const norm = async (name: string, size: number) => keep(normScale(await read(name, [size])));
    const layers: EncoderLayerWeights[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const p = `${layout.prefix}layers.${i}.`;
      layers.push({
        attention: {
          q: await linear(`${p}self_attn.q_proj.weight`),
          k: await linear(`${p}self_attn.k_proj.weight`),
          v: await linear(`${p}self_attn.v_proj.weight`),
          o: await linear(`${p}self_attn.o_proj.weight`),
          qNorm: await norm(`${p}self_attn.q_norm.weight`, config.headDim),
          kNorm: await norm(`${p}self_attn.k_norm.weight`, config.headDim),
        },
        mlp: {
          gate: await linear(`${p}mlp.gate_proj.weight`),
          up: await linear(`${p}mlp.up_proj.weight`),
          down: await linear(`${p}mlp.down_proj.weight`),
        },
        preAttentionNorm: await norm(`${p}pre_self_attn_layernorm.weight`, config.hiddenSize),
        postAttentionNorm: await norm(`${p}post_self_attn_layernorm.weight`, config.hiddenSize),
        preFeedforwardNorm: await norm(`${p}pre_feedforward_layernorm.weight`, config.hiddenSize),
        postFeedforwardNorm: await norm(`${p}post_feedforward_layernorm.weight`, config.hiddenSize),
      });
    }
    const finalNorm = await norm(`${layout.prefix}norm.weight`, config.hiddenSize);
    const eoiEmbedding = await read(layout.eoiEmbedding, [config.hiddenSize]);
    return { layers, finalNorm, eoiEmbedding };
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

function layerShapeByName(config: T5Gemma2EncoderConfig, name: string): number[] {
  const tensor = LAYER_TENSORS.find(([suffix]) => name.endsWith(`.${suffix}`));
  if (!tensor) throw new Error(`not a T5Gemma 2 layer tensor: ${name}`);
  return layerShape(config, tensor[0]);
}

/**
 * Loads the text encoder from a checkpoint: layers and norms into tfjs (linears transposed to
 * [in, out]), the embedding table left on disk behind `FileEmbeddingRows`. The returned table
 * owns `source` and closes it.
 */
export async function loadEncoderWeights(
  source: TensorSource,
  config: T5Gemma2EncoderConfig,
): Promise<{ weights: EncoderWeights; embedding: FileEmbeddingRows; layout: CheckpointLayout }> {
  const { layout } = checkCheckpoint(source, config);
  const weights = await buildEncoderWeights(config, layout, async (name) => {
    const data = await source.read(name);
    if (!(data.data instanceof Float32Array)) throw new SafetensorsError(source.path, `expected a float tensor, got ${data.dtype}`, name);
    return data.data;
  });
  return { weights, embedding: new FileEmbeddingRows(source, layout.embedding, true), layout };
}

/** Frees every tensor of the weights. */
export function disposeEncoderWeights(weights: EncoderWeights): void {
  for (const layer of weights.layers) {
    tf.dispose([...Object.values(layer.attention), ...Object.values(layer.mlp)]);
    tf.dispose([layer.preAttentionNorm, layer.postAttentionNorm, layer.preFeedforwardNorm, layer.postFeedforwardNorm]);
  }
  weights.finalNorm.dispose();
}
