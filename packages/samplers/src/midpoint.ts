import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from './define-sampler.js';

/** Explicit midpoint: a half Euler step, then the full step with the velocity found there. */
export const midpoint = defineSampler({
  name: 'midpoint',
  order: 2,
  step: ({ x, t, h, velocity }) => {
    const half = tf.add(x, tf.mul(velocity(x, t), h / 2));
    return tf.add(x, tf.mul(velocity(half, t + h / 2), h));
  },
});
