import { Rng } from '@dit/core';
import type { T5Gemma2EncoderConfig } from './config.js';
import { SeededEmbeddingRows } from './embedding.js';
import { buildEncoderWeights, type CheckpointLayout, type EncoderWeights } from './weights.js';

/** Names the random weights are drawn under (each tensor has its own stream). */
const RANDOM_LAYOUT: CheckpointLayout = { prefix: '', embedding: 'embed_tokens.weight', eoiEmbedding: 'embed_tokens.eoi_embedding' };

/**
 * The one place random T5Gemma 2 weights are made. Linears ~ N(0, 1/fan_in) so every layer
 * changes the signal; norm weights 0 (scale 1, as transformers initialises them); embedding
 * rows ~ N(0, 1/hidden), so that after the sqrt(hidden) scale tokens have unit RMS.
 * Deterministic in `seed`; meant for offline demos and tests, not for meaning.
 */
export async function randomEncoderWeights(
  config: T5Gemma2EncoderConfig,
  seed: number,
): Promise<{ weights: EncoderWeights; embedding: SeededEmbeddingRows }> {
  const root = new Rng(`t5gemma2-random/${seed}`);
  const weights = await buildEncoderWeights(config, RANDOM_LAYOUT, async (name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const rng = root.fork(name);
    if (name.endsWith('norm.weight') || name.endsWith('layernorm.weight')) return new Float32Array(size);
    if (shape.length === 2) return rng.normalArray(size, 0, 1 / Math.sqrt(shape[1]));
    return rng.normalArray(size, 0, 1 / Math.sqrt(config.hiddenSize));
  });
  return { weights, embedding: new SeededEmbeddingRows(config.vocabSize, config.hiddenSize, seed, 1 / Math.sqrt(config.hiddenSize)) };
}
