import * as tf from '@tensorflow/tfjs-core';
import type { TensorData, TensorToWrite } from '@dit/core';
import type { NamedVariable } from '@dit/model';
import type { NamedTensors } from '../types.js';

/**
 * Tensors held in the model's layout, written in PyTorch's (Linear weights [out, in]), so
 * `ema.safetensors` loads into the original's model like `model.safetensors` does.
 */
export async function toTorchLayout(layout: readonly NamedVariable[], tensors: NamedTensors): Promise<Map<string, TensorToWrite>> {
  const out = new Map<string, TensorToWrite>();
  for (const { name, transposed, torchShape } of layout) {
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`no tensor for '${name}'`);
    const value = transposed ? tf.transpose(tensor) : tensor;
    const data = Float32Array.from((await value.data()) as Float32Array);
    if (value !== tensor) value.dispose();
    out.set(name, { shape: [...torchShape], data });
  }
  return out;
}

/** The reverse of {@link toTorchLayout}, checking every name and shape. */
export function fromTorchLayout(layout: readonly NamedVariable[], tensors: ReadonlyMap<string, TensorData>, source: string): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const { name, transposed, torchShape, variable } of layout) {
    const data = tensors.get(name);
    if (!data) throw new Error(`${source}: '${name}' is missing`);
    if (!tf.util.arraysEqual(data.shape, torchShape)) throw new Error(`${source}: '${name}' has shape [${data.shape}], expected [${torchShape}]`);
    if (!transposed) {
      out.set(name, data);
      continue;
    }
    out.set(name, { ...data, shape: [...variable.shape], data: transposeMatrix(data.data, data.shape) });
  }
  return out;
}

/**
 * A [rows, cols] matrix as [cols, rows], in plain JavaScript: the data is on the CPU already, and a
 * GPU backend could only hand it back asynchronously (WebGPU under Node has no synchronous read).
 */
function transposeMatrix(data: ArrayLike<number>, shape: readonly number[]): Float32Array {
  if (shape.length !== 2) throw new Error(`expected a matrix to transpose, got shape [${shape}]`);
  const [rows, cols] = shape;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
