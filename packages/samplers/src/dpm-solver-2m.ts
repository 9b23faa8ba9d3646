import * as tf from '@tensorflow/tfjs-core';
import { defineSampler } from './define-sampler.js';

// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", algorithm 2) for the flow path
// x_t = alpha_t x1 + sigma_t x0 with alpha_t = t, sigma_t = 1 - t (t = 0 noise, t = 1 data).
// It integrates in lambda = log(alpha / sigma) using the data prediction D = x + (1 - t) v
// (`predictClean` of @dit/flow). With D held constant the exact step from s to t is
//   x_t = (sigma_t / sigma_s) x_s + (alpha_t - alpha_s sigma_t / sigma_s) D,
// which stays finite at s = 0 (where lambda = -inf) and is Euler there. The multistep
// correction D' = (1 + 1/(2r)) D_s - 1/(2r) D_prev, r = h_prev / h (in lambda) makes it second
// order. The step after t = 0 (h_prev infinite) and the step into t = 1 (h infinite) stay first
// order, as k-diffusion's sample_dpmpp_2m does for its last step.

const lambda = (t: number) => Math.log(t / (1 - t));

export const dpmSolver2M = defineSampler({
  name: 'dpm-solver++2m',
  order: 2,
  step: ({ x, t, tNext, stepIndex, timesteps, velocity, memory }) => {
    const denoised = tf.add(x, tf.mul(velocity(x, t), 1 - t));
    const previous = memory.get('denoised');
    const tPrevious = timesteps[stepIndex - 1];
    let correctedDenoised = denoised;
    if (previous && tPrevious > 0 && tNext < 1) {
      const ratio = (lambda(t) - lambda(tPrevious)) / (lambda(tNext) - lambda(t));
      correctedDenoised = tf.sub(tf.mul(denoised, 1 + 1 / (2 * ratio)), tf.mul(previous, 1 / (2 * ratio)));
    }
    if (tNext >= 1) return correctedDenoised;
    memory.set('denoised', denoised);
    const noiseRatio = (1 - tNext) / (1 - t);
    return tf.add(tf.mul(x, noiseRatio), tf.mul(correctedDenoised, tNext - t * noiseRatio));
  },
});
