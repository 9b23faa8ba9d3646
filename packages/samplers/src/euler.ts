import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from './define-sampler.js';

/** Euler: x += h v(x, t). One evaluation a step; the original's validation sampler. */
export const euler = defineSampler({
  name: 'euler',
  order: 1,
  step: ({ x, t, h, velocity }) => tf.add(x, tf.mul(velocity(x, t), h)),
});
