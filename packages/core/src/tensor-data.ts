import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from './safetensors/reader.js';
import type { TensorToWrite } from './safetensors/writer.js';

/** A tensor read from safetensors as a tfjs tensor (float32 or int32). */
export function tensorFromData(data: TensorData): tf.Tensor {
  return tf.tensor(data.data, data.shape, data.data instanceof Int32Array ? 'int32' : 'float32');
}

/** Downloads a tfjs tensor into the form the safetensors writer takes. */
export async function tensorToWrite(tensor: tf.Tensor): Promise<TensorToWrite> {
  const data = (await tensor.data()) as Float32Array | Int32Array;
  return { shape: tensor.shape, data };
}
