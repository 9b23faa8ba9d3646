import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from './define-sampler.js';

/**
 * The original project's `rk4_step` as written: like RK4, but k4 is evaluated at t + h/2
 * instead of t + h. For a velocity that depends on t this is only first-order accurate (see
 * rk4.ts), but it is what produced the original's published samples; use it to reproduce them
 * bit for bit at shift 1. Prefer `rk4` otherwise.
 */
export const rk4Original = defineSampler({
  name: 'rk4-original',
  order: 1,
  step: ({ x, t, h, velocity }) => {
    const k1 = velocity(x, t);
    const k2 = velocity(tf.add(x, tf.mul(k1, h / 2)), t + h / 2);
    const k3 = velocity(tf.add(x, tf.mul(k2, h / 2)), t + h / 2);
    const k4 = velocity(tf.add(x, tf.mul(k3, h)), t + h / 2);
    const slope = tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]);
    return tf.add(x, tf.mul(slope, h / 6));
  },
});
