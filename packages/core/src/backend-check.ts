import * as tf from '@tensorflow/tfjs-core';

/** |computed - expected| allowed in the works-check (float32 on every backend, small integers). */
const TOLERANCE = 1e-4;

/**
 * Proves that the active tfjs backend computes, before anything relies on it: a matrix product
 * and a gradient (d/dx sum(x²) = 2x), read back and compared with known values. A backend can
 * load and register yet fail at its first op (tfjs-node 4.22 on Node 23+ without
 * `util.isNullOrUndefined`, a GPU build whose kernels cannot run); this turns that into one error
 * naming the step, raised while another backend can still be chosen. Leaves no tensor behind.
 */
export async function checkBackendWorks(): Promise<void> {
  const backend = tf.getBackend();
  let results: tf.Tensor[] = [];
  try {
    results = tf.tidy(() => {
      const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
      const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2, 3]));
      return [product, gradient];
    });
    const checks: [string, tf.Tensor, number[]][] = [
      ['matMul [[1,2],[3,4]]·[[5],[6]]', results[0], [17, 39]],
      ['gradient of sum(x²) at [1,-2,3]', results[1], [2, -4, 6]],
    ];
    for (const [what, tensor, expected] of checks) {
      const got = Array.from(await tensor.data());
      if (got.length !== expected.length || got.some((value, i) => !(Math.abs(value - expected[i]) <= TOLERANCE))) {
        throw new Error(`${what} gave [${got.join(', ')}], expected [${expected.join(', ')}]`);
      }
    }
  } catch (error) {
    throw new Error(`the '${backend}' backend loaded but failed its works-check (a matMul and a gradient): ${(error as Error).message}`);
  } finally {
    tf.dispose(results);
  }
}
