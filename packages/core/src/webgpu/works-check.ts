import * as tf from '@tensorflow/tfjs-core';

/**
 * One tiny matmul and its gradient on the active backend, checked against values worked out
 * here in plain JavaScript: a backend whose driver runs kernels wrongly is refused before it
 * trains anything. f(X) = sum((X X)^2), so df/dX = 2 (M X^T + X^T M) with M = X X.
 */
export async function checkBackendWorks(): Promise<void> {
  const values = [0.5, -1, 2, 1.5, 0.25, -0.75, 1, 2, -0.5];
  const n = 3;
  const at = (a: number[], i: number, j: number) => a[i * n + j];
  const product = (a: number[], b: number[], ta = false, tb = false) =>
    Array.from({ length: n * n }, (_, k) => {
      const i = Math.floor(k / n);
      const j = k % n;
      let sum = 0;
      for (let l = 0; l < n; l++) sum += (ta ? at(a, l, i) : at(a, i, l)) * (tb ? at(b, j, l) : at(b, l, j));
      return sum;
    });
  const m = product(values, values);
  const expected = product(m, values, false, true).map((v, k) => 2 * (v + product(values, m, true, false)[k]));
  const x = tf.tensor2d(values, [n, n]);
  const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.matMul(v as tf.Tensor2D, v as tf.Tensor2D))))(x);
  try {
    const got = await gradient.data();
    const worst = Math.max(...expected.map((e, k) => Math.abs(got[k] - e) / Math.max(1, Math.abs(e))));
    if (!(worst < 1e-4)) {
      throw new Error(`works-check failed on '${tf.getBackend()}': the gradient of a 3x3 matmul is off by ${worst.toExponential(2)} (expected ${expected.join(', ')}; got ${Array.from(got).join(', ')})`);
    }
  } finally {
    tf.dispose([x, gradient]);
  }
}
