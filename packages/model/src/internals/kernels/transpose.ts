import * as tf from '@tensorflow/tfjs-core';
import { runFused, type FusedKernel, type KernelAttrs } from './registry.js';

function transposeInto(source: Float32Array, target: Float32Array, rows: number, cols: number): void {
  // 32 x 32 tiles keep both the rows read and the rows written in cache.
  const tile = 32;
  for (let rowStart = 0; rowStart < rows; rowStart += tile) {
    const rowEnd = Math.min(rows, rowStart + tile);
    for (let colStart = 0; colStart < cols; colStart += tile) {
      const colEnd = Math.min(cols, colStart + tile);
      for (let row = rowStart; row < rowEnd; row++) {
        const from = row * cols;
        for (let col = colStart; col < colEnd; col++) target[col * rows + row] = source[from + col];
      }
    }
  }
}

const transposeEachKernel: FusedKernel<KernelAttrs> = {
  name: 'DitTransposeEach',
  outputShapes: (shapes) => shapes.map(([rows, cols]) => [cols, rows]),
  compute(inputs, outputs, shapes) {
    inputs.forEach((source, i) => transposeInto(source, outputs[i], shapes[i][0], shapes[i][1]));
  },
};

/** The transpose of each 2-D tensor, in one kernel call (a blocked loop on wasm and cpu). */
export function transposeEach(tensors: tf.Tensor2D[]): tf.Tensor2D[] {
  for (const tensor of tensors) if (tensor.rank !== 2) throw new Error(`transposeEach: 2-D tensors only, found [${tensor.shape.join(', ')}]`);
  return (runFused(transposeEachKernel, tensors, {}) ?? tensors.map((tensor) => tf.transpose(tensor))) as tf.Tensor2D[];
}

/** x^T for a 2-D x. */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  return transposeEach([x])[0];
}
