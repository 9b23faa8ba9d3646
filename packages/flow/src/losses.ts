import * as tf from '@tensorflow/tfjs-core';
import { assertSameShape } from './internals/time-column.js';

/**
 * How element losses are reduced, as PyTorch's `reduction` plus one:
 * 'mean' and 'sum' give a scalar, 'none' keeps every element ([B, ...]),
 * 'per-sample' averages over all but the batch axis ([B]).
 */
export type LossReduction = 'mean' | 'sum' | 'none' | 'per-sample';

export type LossKind = 'mse' | 'l1' | 'huber';

export interface LossOptions {
  /** Network output, [B, ...]. */
  prediction: tf.Tensor;
  /** Regression target (for flow matching, `velocityTarget(x0, x1)`), same shape. */
  target: tf.Tensor;
  /**
   * Optional per-sample weight [B] (e.g. `timestepLossWeight`), multiplied into every element
   * of its sample before the reduction: 'mean' is then mean(w_b * l_bi), not a weighted average.
   */
  weight?: tf.Tensor;
  reduction?: LossReduction;
}

export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (PyTorch `delta`). */
  delta?: number;
}

export interface FlowLossOptions extends HuberLossOptions {
  kind: LossKind;
}

export const LOSS_DEFAULTS = { reduction: 'mean', delta: 1 } as const satisfies Partial<HuberLossOptions>;

/** Squared error, as `F.mse_loss`. */
export function mseLoss(options: LossOptions): tf.Tensor {
  return reducedLoss(options, 'mseLoss', (diff) => tf.square(diff));
}

/** Absolute error, as `F.l1_loss`. */
export function l1Loss(options: LossOptions): tf.Tensor {
  return reducedLoss(options, 'l1Loss', (diff) => tf.abs(diff));
}

/**
 * Huber loss, as `F.huber_loss`: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) beyond.
 * Written as 0.5 a^2 + delta (|d| - a) with a = min(|d|, delta), which is the same value and
 * keeps the gradient free of a branch.
 */
export function huberLoss(options: HuberLossOptions): tf.Tensor {
  const delta = options.delta ?? LOSS_DEFAULTS.delta;
  if (!(delta > 0) || !Number.isFinite(delta)) throw new Error(`huberLoss: delta must be a positive number, got ${delta}`);
  return reducedLoss(options, 'huberLoss', (diff) => {
    const absolute = tf.abs(diff);
    const quadratic = tf.minimum(absolute, delta);
    return tf.add(tf.mul(tf.square(quadratic), 0.5), tf.mul(tf.sub(absolute, quadratic), delta));
  });
}

/** One of the losses by name: 'mse' (phase 1 of SPEC section 6), 'l1' (phases 2-3) or 'huber'. */
export function flowLoss(options: FlowLossOptions): tf.Tensor {
  switch (options.kind) {
    case 'mse':
      return mseLoss(options);
    case 'l1':
      return l1Loss(options);
    case 'huber':
      return huberLoss(options);
    default:
      throw new Error(`flowLoss: kind must be 'mse', 'l1' or 'huber', got ${JSON.stringify(options.kind)}`);
  }
}

function reducedLoss(options: LossOptions, caller: string, elementLoss: (diff: tf.Tensor) => tf.Tensor): tf.Tensor {
  const { prediction, target, weight } = options;
  const reduction = options.reduction ?? LOSS_DEFAULTS.reduction;
  assertSameShape(prediction, 'prediction', target, 'target', caller);
  const batchSize = prediction.shape[0];
  if (weight && (weight.rank !== 1 || weight.shape[0] !== batchSize)) {
    throw new Error(`${caller}: weight must have shape [B] = [${batchSize}], got [${weight.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    let losses = elementLoss(tf.sub(prediction, target));
    if (weight) losses = tf.mul(losses, tf.reshape(weight, [batchSize, ...new Array<number>(prediction.rank - 1).fill(1)]));
    switch (reduction) {
      case 'mean':
        return tf.mean(losses);
      case 'sum':
        return tf.sum(losses);
      case 'none':
        return losses;
      case 'per-sample':
        return tf.mean(tf.reshape(losses, [batchSize, -1]), 1);
      default:
        throw new Error(`${caller}: reduction must be 'mean', 'sum', 'none' or 'per-sample', got ${JSON.stringify(reduction)}`);
    }
  });
}
