import * as tf from '@tensorflow/tfjs-core';
import type { LayerType, T5Gemma2EncoderConfig } from './config.js';
import type { EmbeddingRows } from './embedding.js';
import { encoderLayer } from './layer.js';
import { attentionBias, type AttentionBias } from './mask.js';
import { rmsNorm } from './rms-norm.js';
import { ropeTables } from './rope.js';
import { disposeEncoderWeights, type EncoderWeights } from './weights.js';

/** Token ids and key mask of a batch, row-major [batch, length]. */
export interface EncoderBatch {
  inputIds: Int32Array;
  /** 1 = token, 0 = padding. */
  attentionMask: Int32Array;
  batch: number;
  length: number;
}

/**
 * The T5Gemma 2 text encoder stack (SPEC section 7): scaled token embeddings, layers of
 * bidirectional sliding/full attention and gated MLP, final RMSNorm. float32 throughout.
 */
export class T5Gemma2Encoder {
  private disposed = false;

  constructor(
    readonly config: T5Gemma2EncoderConfig,
    private readonly weights: EncoderWeights,
    private readonly embedding: EmbeddingRows,
  ) {
    if (embedding.dim !== config.hiddenSize || embedding.vocabSize !== config.vocabSize) {
      throw new Error(
        `T5Gemma2Encoder: embedding table is ${embedding.vocabSize} x ${embedding.dim} but the config says ${config.vocabSize} x ${config.hiddenSize}`,
      );
    }
  }

  /**
   * Token embeddings [B*L, hidden]: table rows times sqrt(hidden) (in float32, as transformers'
   * scaled embedding), then the end-of-image token's rows replaced by the unscaled `eoi_embedding`.
   */
  async embed(inputIds: Int32Array): Promise<tf.Tensor2D> {
    const { hiddenSize, eoiTokenIndex } = this.config;
    const rows = await this.embedding.rows(inputIds);
    const scale = Math.fround(Math.sqrt(hiddenSize));
    for (let i = 0; i < rows.length; i++) rows[i] = rows[i] * scale;
    for (let t = 0; t < inputIds.length; t++) {
      if (inputIds[t] === eoiTokenIndex) rows.set(this.weights.eoiEmbedding, t * hiddenSize);
    }
    return tf.tensor2d(rows, [inputIds.length, hiddenSize]);
  }

  /** Last hidden states [batch, length, hidden] for a batch of token ids. */
  async forward(input: EncoderBatch): Promise<tf.Tensor3D> {
    if (this.disposed) throw new Error('T5Gemma2Encoder: used after dispose()');
    const { batch, length, inputIds, attentionMask } = input;
    if (inputIds.length !== batch * length || attentionMask.length !== batch * length) {
      throw new Error(`T5Gemma2Encoder.forward: expected ${batch} x ${length} ids and mask, got ${inputIds.length} ids and ${attentionMask.length} mask values`);
    }
    const { config } = this;
    const types = [...new Set(config.layerTypes)];
    const masks = new Map<LayerType, AttentionBias>();
    const ropes = new Map<LayerType, { cos: tf.Tensor2D; sin: tf.Tensor2D }>();
    let hidden = await this.embed(inputIds);
    try {
      for (const type of types) {
        masks.set(type, attentionBias(attentionMask, batch, length, type === 'sliding_attention' ? config.slidingWindow : null));
        ropes.set(type, ropeTables(length, config.headDim, config.rope[type]));
      }
      for (let i = 0; i < config.numLayers; i++) {
        const type = config.layerTypes[i];
        const rope = ropes.get(type)!;
        const next = encoderLayer(hidden, this.weights.layers[i], { batch, length, cos: rope.cos, sin: rope.sin, mask: masks.get(type)! }, config);
        hidden.dispose();
        hidden = next;
      }
      return tf.tidy(() => tf.reshape(rmsNorm(hidden, this.weights.finalNorm, config.rmsNormEps), [batch, length, config.hiddenSize]) as tf.Tensor3D);
    } finally {
      hidden.dispose();
      for (const mask of masks.values()) tf.dispose([mask.bias, mask.rowValid].filter((t): t is tf.Tensor4D => t !== null));
      for (const rope of ropes.values()) tf.dispose([rope.cos, rope.sin]);
    }
  }

  /** Frees every weight tensor and closes the embedding file. */
  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    disposeEncoderWeights(this.weights);
    return this.embedding.close();
  }
}
