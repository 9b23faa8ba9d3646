import * as tf from '@tensorflow/tfjs-core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;
/** z = 2u = x (Z_LINEAR + Z_CUBIC x^2), with u = sqrt(2/pi) (x + 0.044715 x^3) the tanh argument (also src/webgpu/gelu.ts'). */
export const Z_LINEAR = 2 * SQRT_2_OVER_PI;
export const Z_CUBIC = 2 * SQRT_2_OVER_PI * CUBIC;

/**
 * Applies unary steps one after another, freeing each intermediate as soon as the next exists.
 * GELU runs on the widest activation ([T, 4D]); as one expression it would hold all of its
 * temporaries at once, here at most two.
 */
function pipe(x: tf.Tensor, ...steps: ((value: tf.Tensor) => tf.Tensor)[]): tf.Tensor {
  let value = x;
  for (const step of steps) {
    const next = step(value);
    if (value !== x) value.dispose();
    value = next;
  }
  return value;
}

/** sigmoid(2u) = 0.5 (1 + tanh u), for the GELU's u. */
function gate(x: tf.Tensor2D): tf.Tensor {
  return pipe(
    x,
    (v) => tf.square(v),
    (v) => tf.mul(v, Z_CUBIC),
    (v) => tf.add(v, Z_LINEAR),
    (v) => tf.mul(v, x),
    (v) => tf.sigmoid(v),
  );
}

/**
 * GELU, tanh approximation (PyTorch `nn.GELU(approximate="tanh")`):
 * 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as x * sigmoid(2u) - the
 * same function, since 0.5 (1 + tanh u) = sigmoid(2u). On wasm, Sigmoid is an XNNPACK SIMD
 * kernel while Tanh is a scalar libm loop ~7x slower (docs/performance.md), and this form
 * needs 6 element-wise passes instead of 9.
 */
export function geluTanh(x: tf.Tensor2D): tf.Tensor2D {
  const sigmoid2u = gate(x);
  const out = tf.mul(sigmoid2u, x) as tf.Tensor2D;
  sigmoid2u.dispose();
  return out;
}

/**
 * dy * gelu'(x). With s = sigmoid(z), z = x (Z_LINEAR + Z_CUBIC x^2): gelu = x s, so
 * gelu'(x) = s + x s (1 - s) dz/dx, dz/dx = Z_LINEAR + 3 Z_CUBIC x^2. Ordered so that at most
 * three [T, 4D] temporaries are alive at once.
 */
export function geluTanhBackward(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  const sigmoid2u = gate(x);
  // x dz/dx = x (Z_LINEAR + 3 Z_CUBIC x^2)
  const slope = pipe(x, (v) => tf.square(v), (v) => tf.mul(v, 3 * Z_CUBIC), (v) => tf.add(v, Z_LINEAR), (v) => tf.mul(v, x));
  // s (1 + slope (1 - s)) = s + x s (1 - s) dz/dx
  const derivative = pipe(sigmoid2u, (v) => tf.sub(1, v), (v) => tf.mul(v, slope), (v) => tf.add(v, 1), (v) => tf.mul(v, sigmoid2u));
  tf.dispose([sigmoid2u, slope]);
  const out = tf.mul(derivative, dy) as tf.Tensor2D;
  derivative.dispose();
  return out;
}
