import * as tf from '@tensorflow/tfjs-core';

/**
 * Fixes to tfjs-backend-webgpu 4.22 kernels that give wrong results without an error.
 *
 * AddN: tfjs binds every input as its own storage buffer in one shader. Past the device's
 * `maxStorageBuffersPerShaderStage` (output included; 16 on lavapipe, 8-10 on some GPUs) the
 * pipeline is invalid, the sum comes back as zeros, and the invalid command buffer takes the
 * other kernels submitted with it down too. A global gradient norm over a model's ~100 tensors
 * (`tf.addN` of per-tensor sums) hit it. Here AddN sums at most `limit - 1` inputs per shader and
 * adds the partial sums the same way.
 */
export function installWebgpuKernelFixes(maxStorageBuffersPerShaderStage: number): void {
  const original = tf.getKernel(tf.AddN, 'webgpu');
  if (!original || (original.kernelFunc as { ditChunked?: boolean }).ditChunked) return;
  const maxInputs = Math.max(2, maxStorageBuffersPerShaderStage - 1);
  const addN = original.kernelFunc as (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;
  const chunked: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as tf.KernelBackend;
    let tensors = inputs as unknown as tf.TensorInfo[];
    const partials: tf.TensorInfo[] = [];
    while (tensors.length > maxInputs) {
      const sums: tf.TensorInfo[] = [];
      for (let i = 0; i < tensors.length; i += maxInputs) {
        const group = tensors.slice(i, i + maxInputs);
        const sum = group.length === 1 ? group[0] : addN({ inputs: group as unknown as tf.NamedTensorInfoMap, backend, attrs });
        if (group.length > 1) partials.push(sum);
        sums.push(sum);
      }
      tensors = sums;
    }
    const result = addN({ inputs: tensors as unknown as tf.NamedTensorInfoMap, backend, attrs });
    for (const partial of partials) backend.disposeData(partial.dataId);
    return result;
  };
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({ kernelName: tf.AddN, backendName: 'webgpu', kernelFunc: Object.assign(chunked, { ditChunked: true }) });
}
