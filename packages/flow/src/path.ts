import * as tf from '@tensorflow/tfjs-core';
import { assertSameShape, timeColumn, type TimeInput } from './internals/time-column.js';

// The straight (rectified-flow) path in the original's orientation, SPEC section 3:
// t = 0 is pure noise x0 ~ N(0, I), t = 1 is the clean latent x1. Every t is [B] (one time
// per sample) or a number, and broadcasts over the other axes of x [B, ...].

/** x_t = (1 - t) x0 + t x1: the point at time t between noise x0 and data x1. */
export function interpolate(x0: tf.Tensor, x1: tf.Tensor, t: TimeInput): tf.Tensor {
  assertSameShape(x0, 'x0', x1, 'x1', 'interpolate');
  return tf.tidy(() => {
    const time = timeColumn(t, x0, 'interpolate');
    return tf.add(tf.mul(x0, tf.sub(1, time)), tf.mul(x1, time));
  });
}

/** v* = x1 - x0: the velocity the network learns to predict (constant along the path). */
export function velocityTarget(x0: tf.Tensor, x1: tf.Tensor): tf.Tensor {
  assertSameShape(x0, 'x0', x1, 'x1', 'velocityTarget');
  return tf.sub(x1, x0);
}

/** x1_hat = x_t + (1 - t) v: the clean latent a velocity v at (x_t, t) points to. */
export function predictClean(xt: tf.Tensor, t: TimeInput, velocity: tf.Tensor): tf.Tensor {
  assertSameShape(xt, 'xt', velocity, 'velocity', 'predictClean');
  return tf.tidy(() => tf.add(xt, tf.mul(velocity, tf.sub(1, timeColumn(t, xt, 'predictClean')))));
}

/** x0_hat = x_t - t v: the noise a velocity v at (x_t, t) started from. */
export function predictNoise(xt: tf.Tensor, t: TimeInput, velocity: tf.Tensor): tf.Tensor {
  assertSameShape(xt, 'xt', velocity, 'velocity', 'predictNoise');
  return tf.tidy(() => tf.sub(xt, tf.mul(velocity, timeColumn(t, xt, 'predictNoise'))));
}
