import { resolveConfig, tokenLayout, type DiTConfig } from './config.js';
import { scoreChunking, scoreFloatsWithin } from './internals/attention/scaled-dot-product.js';
import { largestBufferBytes, type DeviceBufferLimits } from './internals/device-limits.js';
import { PLAIN_PRODUCT_BACKENDS } from './internals/products.js';

const FLOAT_BYTES = 4;

/** One tensor of a forward pass or training step: what it holds, its shape and its float32 bytes. */
export interface LargestTensor {
  name: string;
  shape: number[];
  bytes: number;
}

export interface LargestTensorOptions {
  /** Samples per pass (a CFG pair counts twice). Default 1. */
  batch?: number;
  /** Latent height and width. Default 64 x 64. */
  height?: number;
  width?: number;
  /** The backend: wasm and cpu compute attention one [N, N] head at a time, the others batch heads (internals/attention/scaled-dot-product.ts). Default 'wasm'. */
  backend?: string;
  /** A WebGPU device's limits, which cap the batched score maps. Default none. */
  limits?: DeviceBufferLimits | null;
  /** Attention runs through @dit's flash kernels (webgpu): no score map exists. Default false. */
  flashAttention?: boolean;
}

const tensor = (name: string, shape: number[]): LargestTensor => ({ name, shape, bytes: FLOAT_BYTES * shape.reduce((a, b) => a * b, 1) });

/**
 * The score maps one attention step of `groups` = B * heads heads holds at once, as
 * internals/attention/scaled-dot-product.ts cuts them: one head's [N, N] on wasm and cpu, a chunk
 * of heads [heads, rows, N] elsewhere (under 16 MB or the device's binding limit).
 */
export function scoreMaps(tokens: number, groups: number, backend: string, limits: DeviceBufferLimits | null): LargestTensor {
  if (PLAIN_PRODUCT_BACKENDS.has(backend)) return tensor('attention scores of one head [N, N]', [tokens, tokens]);
  const { heads, rows } = scoreChunking(tokens, scoreFloatsWithin(limits));
  return tensor('attention scores of a chunk of heads [heads, rows, N]', [Math.min(heads, groups), rows, tokens]);
}

/**
 * The largest single tensor this implementation creates in a forward pass or training step
 * (the backward pass creates gradients of the same shapes). On WebGPU every tensor is one
 * storage binding, so this is what must stay under the device's `maxStorageBufferBindingSize`.
 * The candidates: the MLP's [B*N, 4D] hidden activations (and their GELU and gradients), the
 * attention score maps as internals/attention/scaled-dot-product.ts cuts them, the text embeddings [B, L, textDim] and the
 * largest parameter, each block's adaLN weight [D, 6D] (its gradient and AdamW moments alike).
 */
export function largestTensor(config: Partial<DiTConfig>, options: LargestTensorOptions = {}): LargestTensor {
  const full = resolveConfig(config);
  const { batch = 1, height = 64, width = 64, backend = 'wasm', limits = null, flashAttention = false } = options;
  const { sequenceLength: tokens } = tokenLayout(full, height, width);
  const { hiddenSize: d, numHeads, textLength, textDim } = full;
  const candidates = [
    tensor('MLP hidden activations [B*N, 4D]', [batch * tokens, 4 * d]),
    // Flash attention keeps one log-sum-exp per query row and head instead of any map.
    flashAttention ? tensor('attention log-sum-exp [B*heads, N]', [batch * numHeads, tokens]) : scoreMaps(tokens, batch * numHeads, backend, limits),
    tensor('text embeddings [B, L, textDim]', [batch, textLength, textDim]),
    tensor('adaLN weight [D, 6D]', [d, 6 * d]),
  ];
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/**
 * The largest batch, at most `batch`, whose largest tensor fits the limits, or 0 when not even
 * one sample does (then only smaller latents help).
 */
export function largestBatchWithin(config: Partial<DiTConfig>, options: LargestTensorOptions & { limits: DeviceBufferLimits }): number {
  const cap = largestBufferBytes(options.limits);
  for (let batch = options.batch ?? 1; batch >= 1; batch--) {
    if (largestTensor(config, { ...options, batch }).bytes <= cap) return batch;
  }
  return 0;
}
