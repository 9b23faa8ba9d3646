import * as tf from '@tensorflow/tfjs-core';
import { transpose2d } from './kernels/transpose.js';

/**
 * Which form of matrix product is fast on the current backend.
 *
 * The wasm backend sends a matMul to XNNPACK only when it is 2-D and neither operand is
 * transposed (anything else runs a scalar loop 8-17x slower): there operands are transposed
 * explicitly first, and attention runs one head at a time. The cpu backend follows wasm so that
 * the tests, which run on both, cover the same code. Native and GPU backends (tfjs-node, WebGL,
 * WebGPU) read matMul's transpose flags for free and run batched products well: there a separate
 * transpose only adds a copy (13% of a `small` training step on tfjs-node) and per-head products
 * only add kernel calls (docs/performance.md).
 */
export const PLAIN_PRODUCT_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

let plainOverride: boolean | undefined;

/** Forces the wasm form of products (true) or the native form (false) on every backend, or back to 'auto'. For tests and benchmarks. */
export function setPlainProductsOnly(mode: boolean | 'auto'): void {
  plainOverride = mode === 'auto' ? undefined : mode;
}

/** Whether the current backend's products must be 2-D with untransposed operands (wasm's fast path). */
export function plainProductsOnly(): boolean {
  return plainOverride ?? PLAIN_PRODUCT_BACKENDS.has(tf.getBackend());
}

/** op(a) op(b) for 2-D a and b, op the transpose where asked: the fast form for the current backend. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if ((!transposeA && !transposeB) || !plainProductsOnly()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => tf.matMul(transposeA ? transpose2d(a) : a, transposeB ? transpose2d(b) : b));
}
