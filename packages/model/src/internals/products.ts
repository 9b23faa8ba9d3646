import * as tf from '@tensorflow/tfjs-core';
import { tiledMatMul, tiledMatMulApplies } from '../webgpu/matmul.js';
import { columnSums } from '../webgpu/sample-column-sums.js';
import { webgpuKernelActive } from '../webgpu/program.js';
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

/** Whether @dit's tiled WebGPU product takes these operands now (webgpu backend, `matmul` switch on, shapes it tiles). */
export function tiledProductApplies(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): boolean {
  return webgpuKernelActive('matmul') && tiledMatMulApplies(a, b, transposeA, transposeB);
}

/**
 * op(a) op(b) for 2-D a and b, op the transpose where asked: the fast form for the current
 * backend (on webgpu, @dit's tiled kernel for the block's large products, src/webgpu/matmul.ts).
 */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (tiledProductApplies(a, b, transposeA, transposeB)) return tiledMatMul(a, b, { transposeA, transposeB });
  if ((!transposeA && !transposeB) || !plainProductsOnly()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => tf.matMul(transposeA ? transpose2d(a) : a, transposeB ? transpose2d(b) : b));
}

/** The sum over the rows of [T, N] -> [N] (a bias gradient); on webgpu one pass of @dit's column sums instead of tfjs' transpose + reduce. */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  if (webgpuKernelActive('matmul') && x.shape[1] % 4 === 0) return columnSums(x);
  return tf.sum(x, 0) as tf.Tensor1D;
}
