import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from './define-sampler.js';

/**
 * Classic fourth-order Runge-Kutta, the original's inference sampler: k2 and k3 at t + h/2,
 * k4 at t + h (SPEC section 3). The original's `rk4_step` passes t + h/2 for k4 as well, which
 * breaks the order conditions for a time-dependent velocity (sum b_i c_i = 5/12, not 1/2) and
 * leaves a first-order method; this is the textbook scheme.
 */
export const rk4 = defineSampler({
  name: 'rk4',
  order: 4,
  step: ({ x, t, tNext, h, velocity }) => {
    const k1 = velocity(x, t);
    const k2 = velocity(tf.add(x, tf.mul(k1, h / 2)), t + h / 2);
    const k3 = velocity(tf.add(x, tf.mul(k2, h / 2)), t + h / 2);
    const k4 = velocity(tf.add(x, tf.mul(k3, h)), tNext);
    const slope = tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]);
    return tf.add(x, tf.mul(slope, h / 6));
  },
});
