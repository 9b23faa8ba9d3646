import type * as tf from '@tensorflow/tfjs-core';
import { fastBlock } from './internals/block/fast-block.js';
import type { BlockWeights } from './internals/block/types.js';
import { Linear } from './internals/linear.js';
import { PARAMETER_SLOTS, type ParameterSlot } from './internals/parameters.js';
import type { RopeTables } from './rope.js';

/** What a block needs to know about the current batch besides its tokens. */
export interface BlockContext {
  batch: number;
  /** Sequence length N = text tokens + image tokens. */
  tokens: number;
  /** RoPE tables for the sequence (identity on text tokens). */
  rope: RopeTables;
  /** Keep only the block's inputs and recompute it in the backward pass. */
  checkpointing: boolean;
}

/**
 * One adaLN-Zero transformer block (SPEC section 2, step 4). Tokens travel as 2-D [B * N, D]
 * rows so every Linear is one plain 2-D product.
 *
 * To read what the block computes, read `referenceBlock` (reference-block.ts): the same maths
 * in plain autograd ops, top to bottom as the SPEC writes it. `apply` runs the fast path
 * (internals/block/): one tfjs op with a hand-written backward pass, fused layout kernels on
 * wasm/cpu and per-backend replaceable steps (internals/block/kernels.ts), which tests hold to the
 * reference forward and backward (reference-block.test.ts).
 */
export class DiTBlock {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly mlpIn: Linear;
  readonly mlpOut: Linear;
  readonly adaLN: Linear;

  constructor(
    readonly index: number,
    readonly hiddenSize: number,
    readonly numHeads: number,
    variablePrefix: string,
  ) {
    const name = `blocks.${index}`;
    this.qkv = new Linear(`${name}.qkv`, hiddenSize, 3 * hiddenSize, variablePrefix);
    this.proj = new Linear(`${name}.proj`, hiddenSize, hiddenSize, variablePrefix);
    this.mlpIn = new Linear(`${name}.mlp.0`, hiddenSize, 4 * hiddenSize, variablePrefix);
    this.mlpOut = new Linear(`${name}.mlp.2`, 4 * hiddenSize, hiddenSize, variablePrefix);
    this.adaLN = new Linear(`${name}.adaLN_modulation.1`, hiddenSize, 6 * hiddenSize, variablePrefix);
  }

  /** Parameters in PyTorch state-dict (module registration) order. */
  [PARAMETER_SLOTS](): ParameterSlot[] {
    return [this.qkv, this.proj, this.mlpIn, this.mlpOut, this.adaLN].flatMap((layer) => layer[PARAMETER_SLOTS]());
  }

  /** The weights as the block maths take them ([in, out]). */
  weights(): BlockWeights {
    const pair = (layer: Linear) => [layer.weight as tf.Tensor2D, layer.bias as tf.Tensor1D] as const;
    const [[adaW, adaB], [qkvW, qkvB], [projW, projB], [mlpInW, mlpInB], [mlpOutW, mlpOutB]] = [this.adaLN, this.qkv, this.proj, this.mlpIn, this.mlpOut].map(pair);
    return { adaW, adaB, qkvW, qkvB, projW, projB, mlpInW, mlpInB, mlpOutW, mlpOutB };
  }

  /** x [B * N, D] and SiLU(c) [B, D] -> [B * N, D]. Differentiable (tf.grads, tf.variableGrads). */
  apply(x: tf.Tensor2D, siluC: tf.Tensor2D, context: BlockContext): tf.Tensor2D {
    const shape = { batch: context.batch, tokens: context.tokens, hiddenSize: this.hiddenSize, numHeads: this.numHeads };
    return fastBlock(x, siluC, this.weights(), context.rope, shape, context.checkpointing);
  }
}
