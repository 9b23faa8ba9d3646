import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../rope.js';
import { keyTileSize } from './attention-wgsl.js';
import { backwardTiles, flashAttentionBackwardKernel, type KeyBlockTiles } from './flash-attention-backward.js';
import { flashAttentionForwardKernel, type AttentionGeometry } from './flash-attention-forward.js';
import { currentWebgpuBackend, runWebgpuKernel, workgroupStorageBytes } from './program.js';
import { webgpuKernelEnabled } from './switches.js';

export type { AttentionGeometry } from './flash-attention-forward.js';
export type { KeyBlockTiles } from './flash-attention-backward.js';

/** Tile sizes of the kernels, chosen from the device's workgroup storage unless given (tests run every size on one device). */
export interface FlashAttentionTiles {
  /** Keys per shared-memory tile of the forward and dQ programs: 32, 16, 8 or 4. */
  keyTile?: number;
  /** Keys (x16) and queries (x4) per thread of the dK/dV program. */
  keyBlock?: KeyBlockTiles;
}

/** Largest head dim the kernels keep in registers (q, the accumulators) without spilling badly. */
const MAX_HEAD_DIM = 128;

export interface FlashAttentionSupport {
  /** Bytes of workgroup storage the device allows; default the current webgpu device's, else WebGPU's minimum (16 KiB). */
  workgroupStorageBytes?: number;
}

/**
 * Whether @dit's flash attention kernels (forward and backward) can run a head dim: it must be
 * a multiple of 16 and at most 128 (the presets' 64 is), with their tiles fitting the
 * workgroup storage. Where they run (the webgpu backend, the `attention` switch on), attention
 * holds no [B * heads, N, N] score map - only O(N * headDim) per head plus a log-sum-exp per
 * query row - which memory plans can count on ({@link flashAttentionApplies}).
 */
export function flashAttentionSupportsHeadDim(headDim: number, options: FlashAttentionSupport = {}): boolean {
  if (headDim % 16 !== 0 || headDim > MAX_HEAD_DIM) return false;
  const storage = options.workgroupStorageBytes ?? workgroupStorageBytes(currentWebgpuBackend());
  return keyTileSize(headDim, storage) > 0 && backwardTiles(headDim, storage) !== undefined;
}

/**
 * Whether attention with this head dim runs through the flash kernels on `backend` (default:
 * the current tfjs backend): the webgpu backend, the `attention` kernel switched on, and a
 * supported head dim. When true, no [B * heads, N, N] score map is ever allocated.
 */
export function flashAttentionApplies(headDim: number, options: FlashAttentionSupport & { backend?: string } = {}): boolean {
  const { backend = tf.getBackend() } = options;
  return backend === 'webgpu' && webgpuKernelEnabled('attention') && flashAttentionSupportsHeadDim(headDim, options);
}

function checkOperands(qkv: tf.Tensor2D, rope: RopeTables, geometry: AttentionGeometry, where: string): void {
  const { batch, heads, tokens, headDim } = geometry;
  const width = heads * headDim;
  if (qkv.rank !== 2 || qkv.shape[0] !== batch * tokens || qkv.shape[1] !== 3 * width) {
    throw new Error(`${where}: qkv must be [${batch * tokens}, ${3 * width}] (B * N, 3 * heads * headDim), found [${qkv.shape.join(', ')}]`);
  }
  for (const [name, table] of [['cos', rope.cos], ['sin', rope.sin]] as const) {
    if (table.shape[0] !== tokens || table.shape[1] !== headDim) {
      throw new Error(`${where}: rope.${name} must be [${tokens}, ${headDim}], found [${table.shape.join(', ')}]`);
    }
  }
  if (!flashAttentionSupportsHeadDim(headDim)) {
    throw new Error(`${where}: head dim ${headDim} is not supported (a multiple of 16, at most ${MAX_HEAD_DIM}, tiles within the device's workgroup storage)`);
  }
}

/** The attention output rows and, for the backward pass, each query row's log-sum-exp of scores. */
export interface FlashAttentionResult {
  /** [B * N, heads * headDim], heads merged as PyTorch's (B, N, heads, d) -> (B, N, D). */
  output: tf.Tensor2D;
  /** [B * heads, N]: log sum_j exp(score_ij); present when asked for (training). */
  logSumExp?: tf.Tensor2D;
}

/**
 * softmax(q_s k^T) v per (sample, head) on the webgpu backend, from the fused qkv rows
 * [B * N, 3D] (columns q | k | v, each head-major), with RoPE applied to q and k and q
 * multiplied by `scale`, exactly as qkvToHeads + attentionForward + headsToRows compute it.
 * `withStats` also returns the log-sum-exp the backward pass needs (training).
 */
export function flashAttentionForward(qkv: tf.Tensor2D, rope: RopeTables, geometry: AttentionGeometry, withStats: boolean, tiles: FlashAttentionTiles = {}): FlashAttentionResult {
  checkOperands(qkv, rope, geometry, 'flashAttentionForward');
  const { batch, heads, tokens, headDim, scale } = geometry;
  const [flat] = runWebgpuKernel(flashAttentionForwardKernel, [qkv, rope.cos, rope.sin], { batch, heads, tokens, headDim, scale, withStats, keyTile: tiles.keyTile });
  const rows = batch * tokens;
  const width = heads * headDim;
  if (!withStats) {
    const output = tf.reshape(flat, [rows, width]) as tf.Tensor2D;
    flat.dispose();
    return { output };
  }
  // One buffer holds both (a tfjs program has one output); the two slices are cheap copies.
  const result = tf.tidy(() => ({
    output: tf.reshape(tf.slice(flat, 0, rows * width), [rows, width]) as tf.Tensor2D,
    logSumExp: tf.reshape(tf.slice(flat, rows * width, batch * heads * tokens), [batch * heads, tokens]) as tf.Tensor2D,
  }));
  flat.dispose();
  return result;
}

/**
 * The backward pass of {@link flashAttentionForward}: d(qkv) [B * N, 3D] from the output
 * gradient dOutput [B * N, D], recomputing each score tile from q and k (FlashAttention-2's
 * backward) with the saved output and log-sum-exp. The RoPE rotations and the scale are
 * transposed on the way out, so the result is the gradient of the raw qkv rows.
 */
export function flashAttentionBackward(
  qkv: tf.Tensor2D, rope: RopeTables, output: tf.Tensor2D, logSumExp: tf.Tensor2D, dOutput: tf.Tensor2D, geometry: AttentionGeometry, tiles: FlashAttentionTiles = {},
): tf.Tensor2D {
  checkOperands(qkv, rope, geometry, 'flashAttentionBackward');
  const { batch, heads, tokens, headDim, scale } = geometry;
  const rows = batch * tokens;
  const width = heads * headDim;
  for (const [name, tensor, shape] of [['output', output, [rows, width]], ['dOutput', dOutput, [rows, width]], ['logSumExp', logSumExp, [batch * heads, tokens]]] as const) {
    if (tensor.shape.length !== 2 || tensor.shape[0] !== shape[0] || tensor.shape[1] !== shape[1]) {
      throw new Error(`flashAttentionBackward: ${name} must be [${shape.join(', ')}], found [${tensor.shape.join(', ')}]`);
    }
  }
  const [dQkv] = runWebgpuKernel(flashAttentionBackwardKernel, [qkv, rope.cos, rope.sin, output, logSumExp, dOutput], { batch, heads, tokens, headDim, scale, ...tiles });
  return dQkv as tf.Tensor2D;
}
