import type * as tf from '@tensorflow/tfjs-core';
import { Z_CUBIC, Z_LINEAR } from '../internals/block/gelu.js';
import { runWebgpuKernel, type WebgpuKernel } from './program.js';
import { elementwiseProgram, vectorCount } from './row-programs.js';

/**
 * GELU with the tanh approximation (PyTorch `GELU(approximate="tanh")`, SPEC section 2) on the
 * MLP's widest activation [T, 4D], one pass each way. tfjs has no GELU kernel: the generic path
 * (internals/block/gelu.ts) chains 6 element-wise kernels forward and 12 backward, each reading
 * and writing all of [T, 4D]. Same formula and constants as there: gelu(x) = x sigmoid(z),
 * z = x (Z_LINEAR + Z_CUBIC x^2), Z_LINEAR = 2 sqrt(2 / pi), Z_CUBIC = Z_LINEAR * 0.044715
 * (0.5 (1 + tanh u) = sigmoid(2u)), and gelu'(x) = s (1 + x (Z_LINEAR + 3 Z_CUBIC x^2) (1 - s)),
 * s = sigmoid(z).
 */
const GELU_CONSTANTS = /* wgsl */ `
  const Z_LINEAR = ${Z_LINEAR.toPrecision(9)};
  const Z_CUBIC = ${Z_CUBIC.toPrecision(9)};
  fn geluGate(x : vec4<f32>) -> vec4<f32> {
    return vec4<f32>(1.0) / (vec4<f32>(1.0) + exp(-(x * (Z_LINEAR + Z_CUBIC * x * x))));
  }
`;

const geluKernel: WebgpuKernel<Record<string, never>> = {
  name: 'DitGeluTanh',
  run(backend, inputs) {
    // [x] -> gelu(x); [dy, x] -> dy gelu'(x).
    const backward = inputs.length === 2;
    const x = inputs[inputs.length - 1];
    const program = elementwiseProgram({
      key: `ditGeluTanh_${backward}`,
      inputs: backward ? ['dy', 'x'] : ['x'],
      components: backward ? [4, 4] : [4],
      outputShape: x.shape,
      declarations: GELU_CONSTANTS,
      body: backward
        ? /* wgsl */ `
          let v = x[index];
          let s = geluGate(v);
          let value = dy[index] * s * (vec4<f32>(1.0) + v * (Z_LINEAR + 3.0 * Z_CUBIC * v * v) * (vec4<f32>(1.0) - s));`
        : /* wgsl */ `
          let v = x[index];
          let value = v * geluGate(v);`,
    });
    return backend.runWebGPUProgram(program, inputs, 'float32', [{ type: 'int32', data: [vectorCount(x.shape)] }]);
  },
};

function checkRows(x: tf.Tensor, where: string): void {
  if (x.size % 4 !== 0) throw new Error(`${where}: the size must be a multiple of 4, found [${x.shape.join(', ')}]`);
}

/** GELU (tanh approximation) of x, element-wise. */
export function geluTanhWebgpu<T extends tf.Tensor>(x: T): T {
  checkRows(x, 'geluTanh');
  return runWebgpuKernel(geluKernel, [x], {})[0] as T;
}

/** dy * gelu'(x), element-wise: GELU's backward pass. */
export function geluTanhBackwardWebgpu<T extends tf.Tensor>(dy: T, x: T): T {
  checkRows(x, 'geluTanhBackward');
  if (dy.size !== x.size) throw new Error(`geluTanhBackward: dy [${dy.shape.join(', ')}] and x [${x.shape.join(', ')}] must match`);
  return runWebgpuKernel(geluKernel, [dy, x], {})[0] as T;
}
