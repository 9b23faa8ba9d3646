import { withDefaults } from '@dit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../../rope.js';
import { WEBGPU_BLOCK_KERNELS } from '../../webgpu/block-kernels.js';
import { multiHeadAttention, multiHeadAttentionBackward, type AttentionLayout } from '../attention/multi-head.js';
import { gatedResidual, gatedResidualBackward, modulate, modulateBackward } from './adaln.js';
import { geluTanh, geluTanhBackward } from './gelu.js';
import { layerNormBackward, layerNormForward } from './layer-norm.js';
import type { BlockShape } from './types.js';

/**
 * The steps of the fast block (forward.ts, backward.ts) that a backend may replace with its own
 * kernels, each with its backward pass. A kernel returns new tensors and never disposes its
 * inputs; the block owns everything it is given.
 *
 * The defaults are tfjs ops (with the wasm/cpu fused layouts of kernels/). The webgpu backend
 * has @dit's WGSL kernels built in (src/webgpu/block-kernels.ts). Code may plug in its own with
 * `registerBlockKernels(backendName, { attention, attentionBackward })`; steps it leaves out
 * keep the built-in ones, then the defaults. The reference block (src/reference-block.ts) is the oracle every
 * set is tested against (reference-block.test.ts).
 */
export interface BlockKernels {
  /** LayerNorm over the last axis (no affine, eps 1e-6): x_hat [T, D] and 1/sigma [T, 1]. */
  layerNorm(x: tf.Tensor2D): { normalized: tf.Tensor2D; rstd: tf.Tensor2D };
  layerNormBackward(dNormalized: tf.Tensor2D, normalized: tf.Tensor2D, rstd: tf.Tensor2D): tf.Tensor2D;
  /** x_hat (1 + scale) + shift, per sample ([B, 1, D] vectors). */
  modulate(normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shift: tf.Tensor3D, shape: BlockShape): tf.Tensor2D;
  modulateBackward(dModulated: tf.Tensor2D, normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shape: BlockShape): { dNormalized: tf.Tensor2D; dScale: tf.Tensor2D; dShift: tf.Tensor2D };
  /** residual + gate * branch, per sample. */
  gatedResidual(residual: tf.Tensor2D, gate: tf.Tensor3D, branch: tf.Tensor2D, shape: BlockShape): tf.Tensor2D;
  gatedResidualBackward(dOut: tf.Tensor2D, gate: tf.Tensor3D, branch: tf.Tensor2D, shape: BlockShape): { dBranch: tf.Tensor2D; dGate: tf.Tensor2D };
  /** GELU, tanh approximation. */
  gelu(x: tf.Tensor2D): tf.Tensor2D;
  geluBackward(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D;
  /** qkv [T, 3D] -> the merged heads [T, D], and whatever its backward pass needs (`saved`, owned by the block). */
  attention(qkv: tf.Tensor2D, rope: RopeTables, layout: AttentionLayout): { attended: tf.Tensor2D; saved: tf.Tensor[] };
  attentionBackward(dAttended: tf.Tensor2D, saved: tf.Tensor[], rope: RopeTables, layout: AttentionLayout): tf.Tensor2D;
}

export const DEFAULT_BLOCK_KERNELS: Readonly<BlockKernels> = Object.freeze({
  layerNorm: layerNormForward,
  layerNormBackward,
  modulate,
  modulateBackward,
  gatedResidual,
  gatedResidualBackward,
  gelu: geluTanh,
  geluBackward: geluTanhBackward,
  attention: multiHeadAttention,
  attentionBackward: multiHeadAttentionBackward,
});

/** Kernels that come with @dit, by backend name. */
const BUILT_IN_KERNELS: Readonly<Record<string, Partial<BlockKernels>>> = { webgpu: WEBGPU_BLOCK_KERNELS };

const registered = new Map<string, Partial<BlockKernels>>();
const resolved = new Map<string, BlockKernels>();

/** Replaces some of the block's steps on one tfjs backend (by its name, e.g. 'webgpu'). A later call overrides an earlier one step by step. */
export function registerBlockKernels(backendName: string, kernels: Partial<BlockKernels>): void {
  // A step given as undefined leaves the earlier registration (or the default) in place.
  registered.set(backendName, withDefaults(registered.get(backendName) ?? {}, kernels));
  resolved.delete(backendName);
}

/** Removes every replacement registered for a backend (for tests); built-in kernels stay. */
export function clearBlockKernels(backendName: string): void {
  registered.delete(backendName);
  resolved.delete(backendName);
}

/** The block's steps on a backend (default: the current one): its registered kernels, then its built-in ones, the defaults elsewhere. */
export function blockKernels(backendName: string = tf.getBackend()): BlockKernels {
  let kernels = resolved.get(backendName);
  if (!kernels) {
    kernels = withDefaults(withDefaults(DEFAULT_BLOCK_KERNELS, BUILT_IN_KERNELS[backendName]), registered.get(backendName));
    resolved.set(backendName, kernels);
  }
  return kernels;
}
