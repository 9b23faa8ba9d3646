import * as tf from '@tensorflow/tfjs-core';
import type { BackendCandidate } from '../backend-types.js';

/** `cpu`: plain JavaScript, always present, the last resort. */
export const cpuCandidate: BackendCandidate = {
  name: 'cpu',
  tfjsName: 'cpu',
  probe: () => ({ available: true }),
  async activate() {
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  },
};
