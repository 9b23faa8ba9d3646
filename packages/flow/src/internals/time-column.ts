import * as tf from '@tensorflow/tfjs-core';

/** A time argument: one value for the whole batch, or a [B] tensor with one value per sample. */
export type TimeInput = tf.Tensor | number;

/**
 * Reshapes a per-sample time [B] to [B, 1, ..., 1] so it broadcasts over the other axes of
 * `like` ([B, ...]). A number becomes a scalar. `caller` names the public function in errors.
 */
export function timeColumn(t: TimeInput, like: tf.Tensor, caller: string): tf.Tensor {
  if (typeof t === 'number') {
    if (!Number.isFinite(t)) throw new Error(`${caller}: t must be finite, got ${t}`);
    return tf.scalar(t, 'float32');
  }
  const batchSize = like.shape[0];
  if (t.rank !== 1 || t.shape[0] !== batchSize) {
    throw new Error(`${caller}: t must have shape [B] = [${batchSize}] to match x [${like.shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  return tf.reshape(t, [batchSize, ...new Array<number>(like.rank - 1).fill(1)]);
}

/** Throws unless two tensors have the same shape; names both fields. */
export function assertSameShape(a: tf.Tensor, aName: string, b: tf.Tensor, bName: string, caller: string): void {
  const same = a.rank === b.rank && a.shape.every((size, axis) => size === b.shape[axis]);
  if (!same) {
    throw new Error(`${caller}: ${aName} [${a.shape.join(', ')}] and ${bName} [${b.shape.join(', ')}] must have the same shape`);
  }
}
