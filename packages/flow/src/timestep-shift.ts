import * as tf from '@tensorflow/tfjs-core';

// SD3's resolution shift (Esser et al. 2024, eq. 23) written for t = 0 noise, t = 1 data
// (SPEC section 3): t' = t / (t + s (1 - t)). Endpoints stay fixed; s > 1 bends every t
// towards 0, so training and sampling spend more time near noise; s = 1 is the identity.
// The original's `get_1d_shifted_time` is t s / (1 + (s - 1) t), the same map with s -> 1/s.

function checkShift(shift: number, caller: string): void {
  if (!(shift > 0) || !Number.isFinite(shift)) throw new Error(`${caller}: shift must be a positive number, got ${shift}`);
}

/** Shifts one time in [0, 1]. */
export function shiftTime(t: number, shift: number): number {
  checkShift(shift, 'shiftTime');
  if (shift === 1) return t;
  return t / (t + shift * (1 - t));
}

/** Shifts every element of a tensor of times in [0, 1]; returns a new tensor. */
export function shiftTimesteps(t: tf.Tensor, shift: number): tf.Tensor {
  checkShift(shift, 'shiftTimesteps');
  if (shift === 1) return t.clone();
  return tf.tidy(() => tf.div(t, tf.add(t, tf.mul(tf.sub(1, t), shift))));
}
