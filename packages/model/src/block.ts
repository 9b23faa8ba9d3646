import * as tf from '@tensorflow/tfjs-core';
import { blockBackward, blockForward, headsFromTensors, headTensors, type BlockActivations, type BlockShape, type BlockWeights } from './internals/block-math.js';
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

/** The activations saved as tensors, in this order, followed by the per-head attention operands. */
const ACTIVATION_KEYS = [
  'modulation', 'normalized1', 'rstd1', 'attended', 'projected', 'normalized2', 'rstd2', 'mlpHidden', 'mlpOutput',
] as const satisfies readonly Exclude<keyof BlockActivations, 'heads'>[];

function packActivations(activations: BlockActivations): tf.Tensor[] {
  return [...ACTIVATION_KEYS.map((key) => activations[key] as tf.Tensor), ...headTensors(activations.heads)];
}

function unpackActivations(tensors: tf.Tensor[], groups: number): BlockActivations {
  const named = Object.fromEntries(ACTIVATION_KEYS.map((key, i) => [key, tensors[i]]));
  return { ...named, heads: headsFromTensors(tensors.slice(ACTIVATION_KEYS.length), groups) } as unknown as BlockActivations;
}

const WEIGHT_KEYS = [
  'qkvW', 'qkvB', 'projW', 'projB', 'mlpInW', 'mlpInB', 'mlpOutW', 'mlpOutB', 'adaW', 'adaB',
] as const satisfies readonly (keyof BlockWeights)[];

/**
 * One adaLN-Zero transformer block (SPEC section 2, step 4). Tokens travel as 2-D [B * N, D]
 * rows so every Linear is one plain 2-D product. The block is a single tfjs op with a
 * hand-written backward pass (internals/block-math.ts), which also makes gradient
 * checkpointing a matter of what the op saves.
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

  /** x [B * N, D] and SiLU(c) [B, D] -> [B * N, D]. Differentiable (tf.grads, tf.variableGrads). */
  apply(x: tf.Tensor2D, siluC: tf.Tensor2D, context: BlockContext): tf.Tensor2D {
    const shape: BlockShape = { batch: context.batch, tokens: context.tokens, hiddenSize: this.hiddenSize, numHeads: this.numHeads };
    const { rope, checkpointing } = context;
    const op = tf.customGrad((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [input, conditioning, ...weightList] = args as tf.Tensor[];
      const weights = Object.fromEntries(WEIGHT_KEYS.map((key, i) => [key, weightList[i]])) as unknown as BlockWeights;
      // Activations are worth keeping only when a gradient is being recorded.
      const recording = tf.engine().state.gradientDepth > 0;
      const { output, activations } = blockForward(input as tf.Tensor2D, conditioning as tf.Tensor2D, weights, rope, shape, recording && !checkpointing);
      // The RoPE tables are saved too: the caller's scope disposes them before the backward pass.
      // The input is needed only to recompute the block (checkpointing); the backward pass
      // proper works from the activations.
      if (activations) {
        const kept = packActivations(activations);
        save([conditioning, rope.cos, rope.sin, ...kept]);
        tf.dispose(kept);
      } else {
        save([conditioning, rope.cos, rope.sin, input]);
      }
      return {
        value: output,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [savedConditioning, cos, sin, ...rest] = saved;
            const savedRope = { cos: cos as tf.Tensor2D, sin: sin as tf.Tensor2D };
            const recompute = rest.length === 1;
            let replayed: BlockActivations;
            if (recompute) {
              // Gradient checkpointing: recompute this block's activations from its saved input.
              const recomputed = blockForward(rest[0] as tf.Tensor2D, savedConditioning as tf.Tensor2D, weights, savedRope, shape, true);
              recomputed.output.dispose();
              replayed = recomputed.activations!;
            } else {
              replayed = unpackActivations(rest, shape.batch * shape.numHeads);
            }
            const grads = blockBackward(dy as tf.Tensor2D, savedConditioning as tf.Tensor2D, weights, replayed, savedRope, shape);
            if (recompute) tf.dispose(packActivations(replayed));
            return [grads.dx, grads.dSiluC, ...WEIGHT_KEYS.map((key) => grads.weights[key])];
          }),
      };
    });
    const variables = [this.qkv.weight, this.qkv.bias, this.proj.weight, this.proj.bias, this.mlpIn.weight, this.mlpIn.bias, this.mlpOut.weight, this.mlpOut.bias, this.adaLN.weight, this.adaLN.bias];
    return op(x, siluC, ...variables) as tf.Tensor2D;
  }
}
