import * as tf from '@tensorflow/tfjs-core';
import { orderedInputs, runCustomKernel, type KernelArgs } from '../internals/kernels/registry.js';
import { webgpuKernelEnabled, type WebgpuKernelName } from './switches.js';

/**
 * The surface of tfjs-backend-webgpu that @dit's WebGPU kernels use, typed here so that
 * @dit/model needs neither that package nor `@webgpu/types` to compile (the backend object
 * arrives in each kernel function at run time).
 *
 * A program is tfjs' unit of GPU work: WGSL user code (`getUserCode`) that tfjs wraps with the
 * bindings it declares (binding 0 = the one output `result`, then one read-only storage array
 * per input, then a uniform struct holding each input's and the output's shape plus the
 * program's own `uniforms`), one dispatch, and a pipeline cached under `shaderKey` plus the
 * shapes' ranks. Everything a kernel bakes into its WGSL as a constant must be in `shaderKey`.
 */
export interface WebgpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Vector width of each input's storage array (1 or 4); default outputComponent. */
  variableComponents?: number[];
  /** Vector width of the output array; default 1. */
  outputComponent?: number;
  /** Extra uniform fields, e.g. `tokens : i32, scale : f32,` (values in the same order at run time). */
  uniforms?: string;
  getUserCode(): string;
}

/** A uniform value in the order of the program's `uniforms` declaration. */
export interface UniformValue {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** tfjs-backend-webgpu's WebGPUBackend, the part used here. */
export interface WebgpuBackendLike {
  device: { limits: Record<string, number> };
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], outputDtype: 'float32', uniforms?: UniformValue[], output?: tf.TensorInfo): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

/** WebGPU guarantees every adapter at least this much workgroup storage (bytes). */
export const MIN_WORKGROUP_STORAGE_BYTES = 16384;

/**
 * Bytes of workgroup storage a kernel sizes its tiles by: the device's (tfjs asks the adapter
 * for its maxima), else WebGPU's minimum.
 */
export function workgroupStorageBytes(backend: WebgpuBackendLike | undefined): number {
  return backend?.device.limits.maxComputeWorkgroupStorageSize ?? MIN_WORKGROUP_STORAGE_BYTES;
}

/** The current tfjs backend when it is tfjs-backend-webgpu's, else undefined. */
export function currentWebgpuBackend(): WebgpuBackendLike | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  return tf.backend() as unknown as WebgpuBackendLike;
}

/** Whether @dit's kernel `name` runs now: the backend is webgpu and the kernel is switched on. */
export function webgpuKernelActive(name: WebgpuKernelName): boolean {
  return tf.getBackend() === 'webgpu' && webgpuKernelEnabled(name);
}

/** A custom tfjs kernel for the webgpu backend: inputs in call order, attributes, one or more outputs. */
export interface WebgpuKernel<Attrs extends object> {
  /** tfjs kernel name (global registry), e.g. `DitFlashAttention`. */
  name: string;
  run(backend: WebgpuBackendLike, inputs: tf.TensorInfo[], attrs: Attrs): tf.TensorInfo | tf.TensorInfo[];
}

/**
 * Runs `kernel` on the webgpu backend through tfjs' engine (so outputs are tracked tensors),
 * registered on first use (internals/kernels/registry.ts, as the wasm/cpu kernels).
 */
export function runWebgpuKernel<Attrs extends object>(kernel: WebgpuKernel<Attrs>, inputs: tf.Tensor[], attrs: Attrs): tf.Tensor[] {
  const makeKernelFunc = () =>
    (({ inputs: named, backend, attrs: kernelAttrs }: KernelArgs<Attrs>) =>
      kernel.run(backend as WebgpuBackendLike, orderedInputs(named, kernel.name), kernelAttrs)) as unknown as tf.KernelFunc;
  return runCustomKernel(kernel.name, 'webgpu', makeKernelFunc, inputs, attrs);
}

/** ceil(a / b) for positive integers. */
export const divideRoundingUp = (a: number, b: number) => Math.ceil(a / b);
