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
    const back = tf.tidy(() => tf.transpose(tf.tensor(data.data, data.shape, 'float32')));
    out.set(name, { ...data, shape: [...variable.shape], data: back.dataSync() as Float32Array });
    back.dispose();
  }
  return out;
}
