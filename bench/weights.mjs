// Non-zero weights for a benchmark model (a fresh model's adaLN and final layer are zero, which
// would make some paths trivially cheap), made on the backend: tf.randomNormal draws in
// JavaScript, ~20 s for the original preset's 229M weights, paid again by every process.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Small tensors: N(0, 0.02) as before. Large 2-D ones: 0.02 * sqrt(2) * sin(17 a_i b_j + c_j), with
 * a and b drawn per row and column: bounded, non-degenerate, about N(0, 0.02)'s scale, computed
 * on the backend from rows + columns numbers.
 */
export function fillBenchWeights(model) {
  model.namedVariables().forEach(({ variable }, i) => {
    tf.tidy(() => {
      if (variable.size < 1 << 20 || variable.rank !== 2) {
        variable.assign(tf.randomNormal(variable.shape, 0, 0.02, 'float32', 100 + i));
        return;
      }
      const [rows, columns] = variable.shape;
      const a = tf.randomUniform([rows, 1], 0.5, 1.5, 'float32', 100 + i);
      const b = tf.randomUniform([1, columns], 0.5, 1.5, 'float32', 200 + i);
      const c = tf.randomUniform([1, columns], 0, 2 * Math.PI, 'float32', 300 + i);
      variable.assign(tf.mul(tf.sin(tf.add(tf.mul(tf.mul(a, b), 17), c)), 0.02 * Math.SQRT2));
    });
  });
}
