import { resolveConfig, tokenLayout, type DiTConfig } from './config.js';
import { TIMESTEP_FEATURES } from './timestep.js';

/**
 * Floating-point operations of one forward pass (a multiply-add counts 2), matmuls only:
 * the embedders, per block 2 T D (3D + D + 8D + 6D/N) for the Linears and 4 N^2 D per sample
 * for q k^T and P v, and the final layer. Elementwise work is left out (a few percent).
 */
export function forwardFlops(config: Partial<DiTConfig>, options: { batch?: number; height?: number; width?: number } = {}): number {
  const full = resolveConfig(config);
  const { batch = 1, height = 64, width = 64 } = options;
  const { imageTokens, sequenceLength: n } = tokenLayout(full, height, width);
  const { hiddenSize: d, depth, textDim, textLength, inChannels, patchSize } = full;
  const patchDim = inChannels * patchSize * patchSize;
  const embed = 2 * batch * (imageTokens * patchDim * d + textLength * textDim * d + TIMESTEP_FEATURES * d + d * d);
  const blockLinears = 2 * batch * n * d * (3 * d + d + 8 * d) + 2 * batch * d * 6 * d;
  const attention = 4 * batch * n * n * d;
  const final = 2 * batch * n * d * patchDim;
  return embed + depth * (blockLinears + attention) + final;
}

/**
 * A training step: forward, plus a backward pass of twice the forward's products, plus the
 * attention scores recomputed per head; with checkpointing, one more forward of the blocks.
 */
export function trainingStepFlops(config: Partial<DiTConfig>, options: { batch?: number; height?: number; width?: number; checkpointing?: boolean } = {}): number {
  const full = resolveConfig(config);
  const { batch = 1, checkpointing = false } = options;
  const { sequenceLength: n } = tokenLayout(full, options.height ?? 64, options.width ?? 64);
  const forward = forwardFlops(full, options);
  const recomputedScores = full.depth * 2 * batch * n * n * full.hiddenSize;
  return 3 * forward + recomputedScores + (checkpointing ? forward : 0);
}
