import * as tf from '@tensorflow/tfjs-core';

/**
 * The exact flow-matching velocity when the data is Gaussian, x1 ~ N(mean, std^2) per element:
 * x_t = (1 - t) x0 + t x1 has mean t * mean and variance (1 - t)^2 + t^2 std^2, and
 * v(x, t) = mean + (x - t mean) (t std^2 - (1 - t)) / ((1 - t)^2 + t^2 std^2).
 * It carries noise x0 to mean + std * x0 at t = 1: a stand-in for a trained network whose
 * answer is known exactly. The text argument is ignored.
 */
export function gaussianFlow({ mean, std }) {
  const meanRow = tf.tensor1d(mean);
  const varianceRow = tf.tensor1d(std.map((s) => s * s));
  const velocity = (x, t) =>
    tf.tidy(() => {
      const time = tf.reshape(t, [-1, 1]);
      const remaining = tf.sub(1, time);
      const variance = tf.add(tf.square(remaining), tf.mul(tf.square(time), varianceRow));
      const gain = tf.div(tf.sub(tf.mul(time, varianceRow), remaining), variance);
      return tf.add(meanRow, tf.mul(tf.sub(x, tf.mul(time, meanRow)), gain));
    });
  const exactEnd = (noise) => tf.tidy(() => tf.add(meanRow, tf.mul(noise, tf.tensor1d(std))));
  const dispose = () => tf.dispose([meanRow, varianceRow]);
  return { velocity, exactEnd, dispose };
}
