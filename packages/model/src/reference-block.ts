import * as tf from '@tensorflow/tfjs-core';
import type { BlockWeights } from './internals/block/types.js';
import { applyRope, type RopeTables } from './rope.js';

/**
 * One adaLN-Zero block exactly as SPEC section 2 step 4 reads, in plain tfjs ops under autograd:
 * x [B, N, D] tokens, siluC = SiLU(c) [B, D], weights [in, out] as DiTBlock holds them. The
 * oracle of the fast block (DiTBlock.apply), which tests hold to it forward and backward
 * (reference-block.test.ts); slow and memory-hungry (autograd keeps ~130 [B * N, D] per block).
 */
export function referenceBlock(x: tf.Tensor3D, siluC: tf.Tensor2D, weights: BlockWeights, rope: RopeTables, numHeads: number): tf.Tensor3D {
  const [batch, tokens, hidden] = x.shape;
  const headDim = hidden / numHeads;
  const linear = (input: tf.Tensor, weight: tf.Tensor2D, bias: tf.Tensor1D) =>
    tf.reshape(tf.add(tf.matMul(tf.reshape(input, [-1, weight.shape[0]]), weight), bias), [...input.shape.slice(0, -1), weight.shape[1]]);
  const layerNorm = (input: tf.Tensor) => {
    const { mean, variance } = tf.moments(input, -1, true);
    return tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, 1e-6)));
  };
  const geluTanh = (input: tf.Tensor) => tf.mul(tf.mul(input, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(input, tf.mul(0.044715, tf.pow(input, 3)))))));

  // shift1, scale1, gate1, shift2, scale2, gate2 = Linear(hidden, 6 hidden)(SiLU(c)), split in that order.
  const [shift1, scale1, gate1, shift2, scale2, gate2] = tf.split(tf.expandDims(linear(siluC, weights.adaW, weights.adaB), 1), 6, 2);
  // h = LayerNorm(x, no affine, eps 1e-6) (1 + scale1) + shift1
  let h = tf.add(tf.mul(layerNorm(x), tf.add(1, scale1)), shift1);
  // q, k, v = Linear(hidden, 3 hidden)(h) split per head; 2D RoPE on q and k (text tokens unrotated).
  const [q, k, v] = tf.unstack(tf.reshape(linear(h, weights.qkvW, weights.qkvB), [batch, tokens, 3, numHeads, headDim]), 2) as tf.Tensor4D[];
  const heads = (perToken: tf.Tensor4D) => tf.transpose(perToken, [0, 2, 1, 3]); // [B, N, heads, d] -> [B, heads, N, d]
  // attention softmax(q k^T / sqrt(head_dim)) v, heads merged back into [B, N, D]
  const scores = tf.div(tf.matMul(heads(applyRope(q, rope)), heads(applyRope(k, rope)), false, true), Math.sqrt(headDim));
  const attention = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), heads(v)), [0, 2, 1, 3]), [batch, tokens, hidden]);
  // x = x + gate1 Linear(hidden, hidden)(attn)
  const x1 = tf.add(x, tf.mul(gate1, linear(attention, weights.projW, weights.projB)));
  // h = LayerNorm(x) (1 + scale2) + shift2; x = x + gate2 MLP(h), MLP = Linear(hidden, 4 hidden) -> GELU(tanh) -> Linear(4 hidden, hidden)
  h = tf.add(tf.mul(layerNorm(x1), tf.add(1, scale2)), shift2);
  return tf.add(x1, tf.mul(gate2, linear(geluTanh(linear(h, weights.mlpInW, weights.mlpInB)), weights.mlpOutW, weights.mlpOutB))) as tf.Tensor3D;
}
