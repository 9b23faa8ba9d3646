import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from '@dit/samplers';

/**
 * Ralston's second-order Runge-Kutta method (Ralston 1962): the second velocity is taken
 * two thirds of the way through the step, weights 1/4 and 3/4. Among explicit two-stage
 * second-order methods it has the smallest bound on the truncation error.
 *
 * The step runs inside tf.tidy, so the intermediate tensors need no disposing.
 */
export const ralston = defineSampler({
  name: 'ralston',
  order: 2,
  step: ({ x, t, h, velocity }) => {
    const k1 = velocity(x, t);
    const k2 = velocity(tf.add(x, tf.mul(k1, (2 * h) / 3)), t + (2 * h) / 3);
    return tf.add(x, tf.mul(tf.add(tf.mul(k1, 0.25), tf.mul(k2, 0.75)), h));
  },
});
