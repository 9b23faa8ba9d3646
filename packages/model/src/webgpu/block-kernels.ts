import * as tf from '@tensorflow/tfjs-core';
import { multiHeadAttention, multiHeadAttentionBackward, type AttentionLayout } from '../internals/attention/multi-head.js';
import { gatedResidual, gatedResidualBackward, modulate, modulateBackward } from '../internals/block/adaln.js';
import { geluTanh, geluTanhBackward } from '../internals/block/gelu.js';
import type { BlockKernels } from '../internals/block/kernels.js';
import { layerNormBackward, layerNormForward } from '../internals/block/layer-norm.js';
import type { RopeTables } from '../rope.js';
import { gatedResidualBackwardWebgpu, gatedResidualWebgpu, modulateBackwardWebgpu, modulateWebgpu } from './adaln.js';
import { flashAttentionBackward, flashAttentionForward, flashAttentionSupportsHeadDim, type AttentionGeometry } from './flash-attention.js';
import { geluTanhBackwardWebgpu, geluTanhWebgpu } from './gelu.js';
import { layerNormBackwardWebgpu, layerNormWebgpu } from './layer-norm.js';
import { webgpuKernelEnabled } from './switches.js';

/**
 * The block's steps on the webgpu backend (internals/block/kernels.ts looks them up by backend
 * name): @dit's WGSL kernels where they apply, each checked at call time against its switch
 * (switches.ts) and its operands, else the generic tfjs-op step. block-kernels.test.ts holds
 * the block built from them to the reference block on webgpu, forward and backward.
 */

/** The kernels read rows as vec4. */
const vec4Rows = (x: tf.Tensor) => x.shape[x.rank - 1] % 4 === 0;

const useLayerNorm = (x: tf.Tensor) => webgpuKernelEnabled('layerNorm') && vec4Rows(x);
const useAdaLN = (x: tf.Tensor) => webgpuKernelEnabled('adaLN') && vec4Rows(x);
const useGelu = (x: tf.Tensor) => webgpuKernelEnabled('gelu') && x.size % 4 === 0;

function attentionGeometry(qkv: tf.Tensor2D, rope: RopeTables, layout: AttentionLayout): AttentionGeometry {
  const tokens = rope.cos.shape[0];
  return { batch: layout.batch, heads: layout.heads, tokens, headDim: qkv.shape[1] / 3 / layout.heads, scale: layout.scale };
}

/**
 * What the flash path saves: [qkv, logSumExp, attended] - told apart from the generic path's
 * 3 * B * heads per-head operands by qkv's width, three times attended's (a query's width
 * equals its value's), so a kernel switched between the passes still finds its own.
 */
function isFlashSaved(saved: tf.Tensor[]): boolean {
  return saved.length === 3 && saved[0].rank === 2 && saved[2].rank === 2 && (saved[0] as tf.Tensor2D).shape[1] === 3 * (saved[2] as tf.Tensor2D).shape[1];
}

export const WEBGPU_BLOCK_KERNELS: BlockKernels = {
  layerNorm: (x) => (useLayerNorm(x) ? layerNormWebgpu(x) : layerNormForward(x)),
  layerNormBackward: (dNormalized, normalized, rstd) =>
    useLayerNorm(dNormalized) ? layerNormBackwardWebgpu(dNormalized, normalized, rstd) : layerNormBackward(dNormalized, normalized, rstd),
  modulate: (normalized, scalePlus1, shift, shape) =>
    useAdaLN(normalized) ? modulateWebgpu(normalized, scalePlus1, shift, shape) : modulate(normalized, scalePlus1, shift, shape),
  modulateBackward: (dModulated, normalized, scalePlus1, shape) =>
    useAdaLN(dModulated) ? modulateBackwardWebgpu(dModulated, normalized, scalePlus1, shape) : modulateBackward(dModulated, normalized, scalePlus1, shape),
  gatedResidual: (residual, gate, branch, shape) =>
    useAdaLN(residual) ? gatedResidualWebgpu(residual, gate, branch, shape) : gatedResidual(residual, gate, branch, shape),
  gatedResidualBackward: (dOut, gate, branch, shape) =>
    useAdaLN(dOut) ? gatedResidualBackwardWebgpu(dOut, gate, branch, shape) : gatedResidualBackward(dOut, gate, branch, shape),
  gelu: (x) => (useGelu(x) ? geluTanhWebgpu(x) : geluTanh(x)),
  geluBackward: (dy, x) => (useGelu(x) ? geluTanhBackwardWebgpu(dy, x) : geluTanhBackward(dy, x)),
  attention(qkv, rope, layout) {
    const geometry = attentionGeometry(qkv, rope, layout);
    if (!webgpuKernelEnabled('attention') || !flashAttentionSupportsHeadDim(geometry.headDim)) return multiHeadAttention(qkv, rope, layout);
    // The log-sum-exp is kept even when no gradient follows: a checkpointed block's forward
    // runs outside the tape and is replayed for its backward pass (it costs B * heads * N floats).
    const { output, logSumExp } = flashAttentionForward(qkv, rope, geometry, true);
    // tf.clone shares the buffer: the block owns `attended` and `saved` separately.
    return { attended: output, saved: [tf.clone(qkv), logSumExp!, tf.clone(output)] };
  },
  attentionBackward(dAttended, saved, rope, layout) {
    if (!isFlashSaved(saved)) return multiHeadAttentionBackward(dAttended, saved, rope, layout);
    const [qkv, logSumExp, attended] = saved as tf.Tensor2D[];
    return flashAttentionBackward(qkv, rope, attended, logSumExp, dAttended, attentionGeometry(qkv, rope, layout));
  },
};
