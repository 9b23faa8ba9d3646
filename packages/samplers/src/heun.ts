import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from './define-sampler.js';

/** Heun (explicit trapezoid): average the velocities at the start and at an Euler prediction of the end. */
export const heun = defineSampler({
  name: 'heun',
  order: 2,
  step: ({ x, t, tNext, h, velocity }) => {
    const start = velocity(x, t);
    const end = velocity(tf.add(x, tf.mul(start, h)), tNext);
    return tf.add(x, tf.mul(tf.add(start, end), h / 2));
  },
});
