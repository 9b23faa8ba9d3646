import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../../rope.js';
import { blockBackward } from './backward.js';
import { blockForward } from './forward.js';
import { packActivations, unpackActivations, WEIGHT_KEYS, type BlockActivations, type BlockShape, type BlockWeights } from './types.js';

/**
 * One block as a single tfjs op with the hand-written backward pass of backward.ts: under a
 * gradient tape tfjs records this one node and saves what the op chooses, so the forward keeps
 * 13 [T, D] activations instead of autograd's ~130 (or only the input, with `checkpointing`:
 * the backward pass then recomputes the block first).
 */
export function fastBlock(x: tf.Tensor2D, siluC: tf.Tensor2D, weights: BlockWeights, rope: RopeTables, shape: BlockShape, checkpointing: boolean): tf.Tensor2D {
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [input, conditioning, ...weightList] = args as tf.Tensor[];
    const opWeights = Object.fromEntries(WEIGHT_KEYS.map((key, i) => [key, weightList[i]])) as unknown as BlockWeights;
    // Activations are worth keeping only when a gradient is being recorded.
    const recording = tf.engine().state.gradientDepth > 0;
    const { output, activations } = blockForward(input as tf.Tensor2D, conditioning as tf.Tensor2D, opWeights, rope, shape, recording && !checkpointing);
    // The RoPE tables are saved too: the caller's scope disposes them before the backward pass.
    // The input is saved only to recompute the block (checkpointing).
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
          let replayed: BlockActivations;
          if (rest.length === 1) {
            // Gradient checkpointing: recompute the activations from the saved input (freed with this tidy).
            const recomputed = blockForward(rest[0] as tf.Tensor2D, savedConditioning as tf.Tensor2D, opWeights, savedRope, shape, true);
            recomputed.output.dispose();
            replayed = recomputed.activations!;
          } else {
            replayed = unpackActivations(rest);
          }
          const grads = blockBackward(dy as tf.Tensor2D, savedConditioning as tf.Tensor2D, opWeights, replayed, savedRope, shape);
          return [grads.dx, grads.dSiluC, ...WEIGHT_KEYS.map((key) => grads.weights[key])];
        }),
    };
  });
  return op(x, siluC, ...WEIGHT_KEYS.map((key) => weights[key])) as tf.Tensor2D;
}
