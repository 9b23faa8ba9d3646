import * as tf from '@tensorflow/tfjs-core';

/**
 * Custom tfjs kernels written as plain loops over Float32Arrays, registered on the wasm and cpu
 * backends (in place on the wasm heap). They replace chains of tfjs ops that move the same data
 * several times: on wasm, Slice/SplitV copy their whole input once per output, Transpose is a
 * scalar loop about 2x slower than a blocked one, and RoPE alone is 8 element-wise ops.
 * Gradients are not registered: these run inside the block's hand-written backward pass, never
 * under autograd. Other backends (tfjs-node, WebGL, WebGPU) take each caller's tfjs-op fallback;
 * tests compare both paths.
 */

/** Shapes and buffers a fused kernel sees: inputs in call order, outputs pre-allocated. */
export interface FusedKernel<Attrs> {
  name: string;
  outputShapes(inputShapes: number[][], attrs: Attrs): number[][];
  compute(inputs: Float32Array[], outputs: Float32Array[], inputShapes: number[][], attrs: Attrs): void;
}

export type KernelAttrs = Record<string, number>;
/** What tfjs hands a kernel function. */
export type KernelArgs<Attrs = KernelAttrs> = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Attrs };

/** The wasm backend's surface these kernels use (tfjs-backend-wasm's BackendWasm). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}
/** The cpu backend's surface (tfjs-backend-cpu's MathBackendCPU). */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

const elementCount = (shape: number[]) => shape.reduce((product, extent) => product * extent, 1);

/** A custom kernel's inputs in call order ({@link runCustomKernel} names them in0, in1, ...); float32 only. */
export function orderedInputs(inputs: Record<string, tf.TensorInfo>, kernelName: string): tf.TensorInfo[] {
  const list: tf.TensorInfo[] = [];
  for (const [key, value] of Object.entries(inputs)) list[Number(key.slice(2))] = value;
  for (const info of list) {
    if (info.dtype !== 'float32') throw new Error(`${kernelName}: float32 inputs only, found ${info.dtype}`);
  }
  return list;
}

/**
 * Runs the custom kernel `kernelName` on `backendName` (the current backend) through tfjs'
 * engine, so its outputs are tracked tensors, registering `makeKernelFunc()` on first use: the
 * package has no import-time side effects, and tfjs' kernel registry is global. Used by the
 * wasm/cpu kernels here and by src/webgpu/program.ts.
 */
export function runCustomKernel(kernelName: string, backendName: string, makeKernelFunc: () => tf.KernelFunc, inputs: tf.Tensor[], attrs: object): tf.Tensor[] {
  if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: makeKernelFunc() });
  const named = Object.fromEntries(inputs.map((tensor, i) => [`in${i}`, tensor]));
  const out = tf.engine().runKernel(kernelName, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

function wasmKernelFunc(kernel: FusedKernel<KernelAttrs>) {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const wasm = backend as WasmBackendLike;
    const list = orderedInputs(inputs, kernel.name);
    const shapes = list.map((info) => info.shape);
    // Allocate every output before taking views: an allocation may grow (and move) the heap.
    const outputs = kernel.outputShapes(shapes, attrs).map((shape) => wasm.makeOutput(shape, 'float32'));
    kernel.compute(list.map((info) => wasm.typedArrayFromHeap(info)), outputs.map((info) => wasm.typedArrayFromHeap(info)), shapes, attrs);
    return outputs;
  };
}

function cpuKernelFunc(kernel: FusedKernel<KernelAttrs>) {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const cpu = backend as CpuBackendLike;
    const list = orderedInputs(inputs, kernel.name);
    const shapes = list.map((info) => info.shape);
    const outShapes = kernel.outputShapes(shapes, attrs);
    const outValues = outShapes.map((shape) => new Float32Array(elementCount(shape)));
    kernel.compute(list.map((info) => cpu.data.get(info.dataId).values as Float32Array), outValues, shapes, attrs);
    return outShapes.map((shape, i) => cpu.makeTensorInfo(shape, 'float32', outValues[i]));
  };
}

const BACKENDS = { wasm: wasmKernelFunc, cpu: cpuKernelFunc } as const;
let fusedEnabled = true;

/** Turns the fused kernels off (every call takes its tfjs-op fallback). For tests and benchmarks. */
export function setFusedKernelsEnabled(enabled: boolean): void {
  fusedEnabled = enabled;
}

/** Runs a fused kernel when the current backend has it, else returns undefined (use the fallback). */
export function runFused<Attrs extends KernelAttrs>(kernel: FusedKernel<Attrs>, inputs: tf.Tensor[], attrs: Attrs): tf.Tensor[] | undefined {
  if (!fusedEnabled) return undefined;
  const backendName = tf.getBackend() as keyof typeof BACKENDS;
  if (!(backendName in BACKENDS)) return undefined;
  const makeKernelFunc = () => BACKENDS[backendName](kernel as unknown as FusedKernel<KernelAttrs>) as unknown as tf.KernelFunc;
  return runCustomKernel(kernel.name, backendName, makeKernelFunc, inputs, attrs);
}
