import * as tf from '@tensorflow/tfjs-core';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type RunKernel = (args: KernelArgs) => tf.TensorInfo;

/** Installs every fix below; called once the webgpu backend is registered. */
export function installWebgpuKernelFixes(maxStorageBuffersPerShaderStage: number): void {
  chunkAddN(maxStorageBuffersPerShaderStage);
  reverseAnyRank();
}

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
function chunkAddN(maxStorageBuffersPerShaderStage: number): void {
  const original = tf.getKernel(tf.AddN, 'webgpu');
  if (!original || (original.kernelFunc as { ditChunked?: boolean }).ditChunked) return;
  const maxInputs = Math.max(2, maxStorageBuffersPerShaderStage - 1);
  const addN = original.kernelFunc as RunKernel;
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

/**
 * Reverse: tfjs-webgpu pads the shape to rank 4 and drops the leading axes of a rank-5 or
 * rank-6 tensor ("Size(...) must match the product of shape ..."); T5Gemma's rotary embedding
 * reverses axis 3 of [B, L, heads, 2, headDim / 2]. Neighbouring axes that are all reversed or
 * all kept merge into one (reversing a merged axis reverses each of its parts), which brings
 * any such case to rank 4 or less for tfjs' own kernel.
 */
function reverseAnyRank(): void {
  const original = tf.getKernel(tf.Reverse, 'webgpu');
  const reshapeKernel = tf.getKernel(tf.Reshape, 'webgpu');
  if (!original || !reshapeKernel || (original.kernelFunc as { ditAnyRank?: boolean }).ditAnyRank) return;
  const reverse = original.kernelFunc as RunKernel;
  const reshape = reshapeKernel.kernelFunc as RunKernel;
  const anyRank: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as tf.KernelBackend;
    const x = (inputs as { x: tf.TensorInfo }).x;
    const rank = x.shape.length;
    if (rank <= 4) return reverse({ inputs, backend, attrs });
    const reversed = new Set(tf.util.parseAxisParam((attrs as { dims: number | number[] }).dims, x.shape));
    const groups: { size: number; reversed: boolean }[] = [];
    x.shape.forEach((size, axis) => {
      const last = groups[groups.length - 1];
      if (last && last.reversed === reversed.has(axis)) last.size *= size;
      else groups.push({ size, reversed: reversed.has(axis) });
    });
    if (groups.length > 4) throw new Error(`webgpu Reverse: axes [${[...reversed]}] of a rank-${rank} tensor do not merge to rank 4 or less`);
    const merged = reshape({ inputs: { x }, backend, attrs: { shape: groups.map((g) => g.size) } });
    const dims = groups.flatMap((g, i) => (g.reversed ? [i] : []));
    const out = reverse({ inputs: { x: merged }, backend, attrs: { dims } });
    const result = reshape({ inputs: { x: out }, backend, attrs: { shape: x.shape } });
    backend.disposeData(merged.dataId);
    backend.disposeData(out.dataId);
    return result;
  };
  tf.unregisterKernel(tf.Reverse, 'webgpu');
  tf.registerKernel({ kernelName: tf.Reverse, backendName: 'webgpu', kernelFunc: Object.assign(anyRank, { ditAnyRank: true }) });
}
