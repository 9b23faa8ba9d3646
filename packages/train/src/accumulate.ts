import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensors } from './types.js';

/**
 * Sums gradients over micro-batches. Each micro-batch's gradients are weighted by its share of
 * the batch (size / batch size), so with mean-reduced losses the sum equals the gradient of the
 * whole batch's mean loss: accumulating 4 x 2 samples gives what one batch of 8 would.
 */
export class GradientAccumulator {
  private sums = new Map<string, tf.Tensor>();
  private weightSum = 0;

  /** Adds `weight` times `grads` (the inputs stay owned by the caller). */
  add(grads: NamedTensors, weight: number): void {
    if (!(weight > 0) || !Number.isFinite(weight)) throw new Error(`weight must be a finite number > 0, got ${weight}`);
    for (const [name, grad] of grads) {
      const old = this.sums.get(name);
      if (old && !tf.util.arraysEqual(old.shape, grad.shape)) {
        throw new Error(`gradient for ${name} has shape [${grad.shape}], earlier micro-batches gave [${old.shape}]`);
      }
      this.sums.set(name, tf.tidy(() => (old ? tf.add(old, tf.mul(grad, weight)) : weight === 1 ? tf.clone(grad) : tf.mul(grad, weight))));
      old?.dispose();
    }
    this.weightSum += weight;
  }

  /** Sum of the weights added since the last `take()` (1 for a complete batch). */
  get accumulatedWeight(): number {
    return this.weightSum;
  }

  /** The summed gradients; the caller owns them and the accumulator starts over. */
  take(): Map<string, tf.Tensor> {
    const sums = this.sums;
    this.sums = new Map();
    this.weightSum = 0;
    return sums;
  }

  dispose(): void {
    tf.dispose([...this.sums.values()]);
    this.sums.clear();
    this.weightSum = 0;
  }
}

/** Sizes of the micro-batches a batch splits into: as many of `microBatch` as fit, then the rest. */
export function microBatchSizes(options: { batchSize: number; microBatch: number }): number[] {
  const { batchSize, microBatch } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(microBatch) || microBatch < 1) throw new Error(`microBatch must be a positive integer, got ${microBatch}`);
  const sizes: number[] = [];
  for (let left = batchSize; left > 0; left -= microBatch) sizes.push(Math.min(microBatch, left));
  return sizes;
}
