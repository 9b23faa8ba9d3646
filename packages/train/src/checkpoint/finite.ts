import * as tf from '@tensorflow/tfjs-core';

/** Names of the tensors holding a NaN or an infinity, in the order given. */
export function nonFiniteTensorNames(tensors: Iterable<readonly [string, tf.Tensor]>): string[] {
  const names: string[] = [];
  for (const [name, tensor] of tensors) {
    if (tensor.dtype !== 'float32') continue;
    const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(tensor))));
    if (bad.dataSync()[0]) names.push(name);
    bad.dispose();
  }
  return names;
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
