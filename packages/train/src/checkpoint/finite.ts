import * as tf from '@tensorflow/tfjs-core';

/**
 * Names of the tensors holding a NaN or an infinity, in the order given. One flag per tensor is
 * computed on the backend and all are read back at once, asynchronously: on a GPU backend that is
 * one transfer, and WebGPU under Node cannot read synchronously at all.
 */
export async function nonFiniteTensorNames(tensors: Iterable<readonly [string, tf.Tensor]>): Promise<string[]> {
  const floats = [...tensors].filter(([, tensor]) => tensor.dtype === 'float32');
  if (floats.length === 0) return [];
  const flags = tf.tidy(() => tf.stack(floats.map(([, tensor]) => tf.any(tf.logicalNot(tf.isFinite(tensor))))));
  const bad = await flags.data();
  flags.dispose();
  return floats.filter((_, i) => bad[i]).map(([name]) => name);
}

/** Names of the float arrays holding a NaN or an infinity, in the order given. */
export function nonFiniteArrayNames(arrays: Iterable<readonly [string, { data: Float32Array | Int32Array }]>): string[] {
  const names: string[] = [];
  for (const [name, { data }] of arrays) {
    if (!(data instanceof Float32Array)) continue;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        names.push(name);
        break;
      }
    }
  }
  return names;
}

/** "NaN or Inf in 3 of 62 tensors of <what> (first 'blocks.0.qkv.weight')". */
export function describeNonFinite(names: readonly string[], total: number, what: string): string {
  return `NaN or Inf in ${names.length} of ${total} tensors of ${what} (first '${names[0]}')`;
}
