import * as tf from '@tensorflow/tfjs-core';
import { applyRope, applyRopeBackward, type RopeTables } from '../rope.js';

/**
 * Layout kernels of the attention block, as custom tfjs kernels on the wasm and cpu backends.
 *
 * Each is one pass of plain loops over the tensors' Float32Arrays (in place on the wasm heap),
 * replacing chains of tfjs ops that move the same data several times: on wasm, Slice/SplitV
 * copy their whole input once per output, Transpose is a scalar loop about 2x slower than a
 * blocked one, and RoPE alone is 8 element-wise ops. Gradients are not registered: these run
 * inside the block's hand-written backward pass (block-math.ts), never under autograd.
 *
 * Other backends (tfjs-node, WebGL, WebGPU) get the same results from tfjs ops (the
 * `fallback` of each kernel); tests compare both paths.
 */

/** Shapes and buffers a fused kernel sees: inputs in call order, outputs pre-allocated. */
interface FusedKernel<Attrs> {
  name: string;
  outputShapes(inputShapes: number[][], attrs: Attrs): number[][];
  compute(inputs: Float32Array[], outputs: Float32Array[], inputShapes: number[][], attrs: Attrs): void;
}

type AnyAttrs = Record<string, number>;
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: AnyAttrs };

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

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function orderedInputs(inputs: Record<string, tf.TensorInfo>): tf.TensorInfo[] {
  const list: tf.TensorInfo[] = [];
  for (const [key, value] of Object.entries(inputs)) list[Number(key.slice(2))] = value;
  for (const info of list) {
    if (info.dtype !== 'float32') throw new Error(`fused kernel: float32 inputs only, found ${info.dtype}`);
  }
  return list;
}

function wasmKernelFunc(kernel: FusedKernel<AnyAttrs>) {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const wasm = backend as WasmBackendLike;
    const list = orderedInputs(inputs);
    const shapes = list.map((info) => info.shape);
    // Allocate every output before taking views: an allocation may grow (and move) the heap.
    const outputs = kernel.outputShapes(shapes, attrs).map((shape) => wasm.makeOutput(shape, 'float32'));
    kernel.compute(list.map((info) => wasm.typedArrayFromHeap(info)), outputs.map((info) => wasm.typedArrayFromHeap(info)), shapes, attrs);
    return outputs;
  };
}

function cpuKernelFunc(kernel: FusedKernel<AnyAttrs>) {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const cpu = backend as CpuBackendLike;
    const list = orderedInputs(inputs);
    const shapes = list.map((info) => info.shape);
    const outShapes = kernel.outputShapes(shapes, attrs);
    const outValues = outShapes.map((shape) => new Float32Array(size(shape)));
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
function runFused<Attrs extends AnyAttrs>(kernel: FusedKernel<Attrs>, inputs: tf.Tensor[], attrs: Attrs): tf.Tensor[] | undefined {
  if (!fusedEnabled) return undefined;
  const backendName = tf.getBackend() as keyof typeof BACKENDS;
  if (!(backendName in BACKENDS)) return undefined;
  // Registered on first use (the package has no import-time side effects).
  if (!tf.getKernel(kernel.name, backendName)) {
    tf.registerKernel({ kernelName: kernel.name, backendName, kernelFunc: BACKENDS[backendName](kernel as unknown as FusedKernel<AnyAttrs>) as unknown as tf.KernelFunc });
  }
  const named = Object.fromEntries(inputs.map((tensor, i) => [`in${i}`, tensor]));
  const out = tf.engine().runKernel(kernel.name, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

// ---------------------------------------------------------------------------------------------
// Transposes

function transposeInto(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  // 32 x 32 tiles keep both the rows read and the rows written in cache.
  const tile = 32;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(rows, r0 + tile);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(cols, c0 + tile);
      for (let r = r0; r < r1; r++) {
        const from = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = x[from + c];
      }
    }
  }
}

const transposeEachKernel: FusedKernel<AnyAttrs> = {
  name: 'DitTransposeEach',
  outputShapes: (shapes) => shapes.map(([rows, cols]) => [cols, rows]),
  compute(inputs, outputs, shapes) {
    inputs.forEach((x, i) => transposeInto(x, outputs[i], shapes[i][0], shapes[i][1]));
  },
};

/** The transpose of each 2-D tensor, in one kernel call. */
export function transposeEach(tensors: tf.Tensor2D[]): tf.Tensor2D[] {
  for (const t of tensors) if (t.rank !== 2) throw new Error(`transposeEach: 2-D tensors only, found [${t.shape.join(', ')}]`);
  return (runFused(transposeEachKernel, tensors, {}) ?? tensors.map((t) => tf.transpose(t))) as tf.Tensor2D[];
}

/** x^T for a 2-D x. */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  return transposeEach([x])[0];
}

// ---------------------------------------------------------------------------------------------
// Attention head layouts. Rows are tokens of [B * N, ...] (sample-major); heads are
// g = b * heads + h; a head's slice of a row is the columns h * d .. (h + 1) * d.

export interface HeadLayout {
  batch: number;
  heads: number;
}

/** Per-head attention operands: RoPE-rotated, scaled queries [N, d], rotated keys transposed [d, N], values [N, d]. */
export interface AttentionHeads {
  queries: tf.Tensor2D[];
  keysT: tf.Tensor2D[];
  values: tf.Tensor2D[];
}

type HeadAttrs = { batch: number; heads: number; scale: number };

const qkvToHeadsKernel: FusedKernel<HeadAttrs> = {
  name: 'DitQkvToHeads',
  outputShapes([, cos], { batch, heads }) {
    const [tokens, headDim] = cos;
    const groups = batch * heads;
    return [
      ...Array.from({ length: groups }, () => [tokens, headDim]),
      ...Array.from({ length: groups }, () => [headDim, tokens]),
      ...Array.from({ length: groups }, () => [tokens, headDim]),
    ];
  },
  compute([qkv, cos, sin], outputs, [, tableShape], { batch, heads, scale }) {
    const [tokens, d] = tableShape;
    const half = d / 2;
    const width = heads * d;
    const groups = batch * heads;
    for (let b = 0; b < batch; b++) {
      for (let n = 0; n < tokens; n++) {
        const row = (b * tokens + n) * 3 * width;
        const table = n * d;
        for (let h = 0; h < heads; h++) {
          const g = b * heads + h;
          const q = outputs[g];
          const kT = outputs[groups + g];
          const v = outputs[2 * groups + g];
          const qAt = row + h * d;
          const kAt = qAt + width;
          const vAt = qAt + 2 * width;
          const out = n * d;
          // Split-half rotation (SPEC section 2): concat(x1 cos - x2 sin, x2 cos + x1 sin).
          for (let j = 0; j < half; j++) {
            const c1 = cos[table + j];
            const s1 = sin[table + j];
            const c2 = cos[table + half + j];
            const s2 = sin[table + half + j];
            const q1 = qkv[qAt + j];
            const q2 = qkv[qAt + half + j];
            q[out + j] = scale * (q1 * c1 - q2 * s1);
            q[out + half + j] = scale * (q2 * c2 + q1 * s2);
            const k1 = qkv[kAt + j];
            const k2 = qkv[kAt + half + j];
            kT[j * tokens + n] = k1 * c1 - k2 * s1;
            kT[(half + j) * tokens + n] = k2 * c2 + k1 * s2;
          }
          for (let j = 0; j < d; j++) v[out + j] = qkv[vAt + j];
        }
      }
    }
  },
};

/**
 * qkv [B * N, 3D] (columns [q | k | v], each head-major: PyTorch's (B, N, 3, heads, d) view)
 * -> per head: queries rotated by RoPE and multiplied by `scale` [N, d], keys rotated and
 * transposed [d, N], values [N, d].
 */
export function qkvToHeads(qkv: tf.Tensor2D, rope: RopeTables, layout: HeadLayout, scale: number): AttentionHeads {
  const { batch, heads } = layout;
  const groups = batch * heads;
  const fused = runFused(qkvToHeadsKernel, [qkv, rope.cos, rope.sin], { batch, heads, scale });
  if (fused) {
    return { queries: fused.slice(0, groups), keysT: fused.slice(groups, 2 * groups), values: fused.slice(2 * groups) } as AttentionHeads;
  }
  return tf.tidy(() => {
    const [tokens, headDim] = rope.cos.shape;
    const [q, k, v] = tf.split(qkv, 3, 1).map((part) => tf.reshape(part, [batch, tokens, heads, headDim]) as tf.Tensor4D);
    const perHead = (x: tf.Tensor4D, order: number[]) => tf.unstack(tf.reshape(tf.transpose(x, order), [groups, x.shape[order[2]], x.shape[order[3]]])) as tf.Tensor2D[];
    return {
      queries: perHead(tf.mul(applyRope(q, rope), scale) as tf.Tensor4D, [0, 2, 1, 3]),
      keysT: perHead(applyRope(k, rope), [0, 2, 3, 1]),
      values: perHead(v, [0, 2, 1, 3]),
    };
  });
}

const headsToRowsKernel: FusedKernel<AnyAttrs> = {
  name: 'DitHeadsToRows',
  outputShapes: (shapes, { batch, heads }) => [[batch * shapes[0][0], heads * shapes[0][1]]],
  compute(inputs, [out], shapes, { batch, heads }) {
    const [tokens, d] = shapes[0];
    const width = heads * d;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const x = inputs[b * heads + h];
        for (let n = 0; n < tokens; n++) {
          const to = (b * tokens + n) * width + h * d;
          const from = n * d;
          for (let j = 0; j < d; j++) out[to + j] = x[from + j];
        }
      }
    }
  },
};

/** Per-head [N, d] (g = b * heads + h) -> rows [B * N, heads * d]. */
export function headsToRows(perHead: tf.Tensor2D[], layout: HeadLayout): tf.Tensor2D {
  const fused = runFused(headsToRowsKernel, perHead, { batch: layout.batch, heads: layout.heads });
  if (fused) return fused[0] as tf.Tensor2D;
  const [tokens, d] = perHead[0].shape;
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(tf.stack(perHead), [layout.batch, layout.heads, tokens, d]), [0, 2, 1, 3]), [layout.batch * tokens, layout.heads * d]) as tf.Tensor2D);
}

const rowsToHeadsKernel: FusedKernel<AnyAttrs> = {
  name: 'DitRowsToHeads',
  outputShapes([[rows, width]], { batch, heads }) {
    const tokens = rows / batch;
    const d = width / heads;
    const groups = batch * heads;
    return [...Array.from({ length: groups }, () => [tokens, d]), ...Array.from({ length: groups }, () => [d, tokens])];
  },
  compute([x], outputs, [[rows, width]], { batch, heads }) {
    const tokens = rows / batch;
    const d = width / heads;
    const groups = batch * heads;
    for (let b = 0; b < batch; b++) {
      for (let n = 0; n < tokens; n++) {
        const row = (b * tokens + n) * width;
        for (let h = 0; h < heads; h++) {
          const g = b * heads + h;
          const plain = outputs[g];
          const transposed = outputs[groups + g];
          const from = row + h * d;
          for (let j = 0; j < d; j++) {
            const value = x[from + j];
            plain[n * d + j] = value;
            transposed[j * tokens + n] = value;
          }
        }
      }
    }
  },
};

/**
 * Rows [B * N, heads * d] -> per head [N, d] (the inverse of headsToRows) and, where
 * `withTransposed`, also each head transposed [d, N]. The fused kernel writes both in one pass.
 */
export function rowsToHeads(rows: tf.Tensor2D, layout: HeadLayout, withTransposed = true): { plain: tf.Tensor2D[]; transposed?: tf.Tensor2D[] } {
  const { batch, heads } = layout;
  const groups = batch * heads;
  const fused = withTransposed ? runFused(rowsToHeadsKernel, [rows], { batch, heads }) : undefined;
  if (fused) return { plain: fused.slice(0, groups), transposed: fused.slice(groups) } as { plain: tf.Tensor2D[]; transposed: tf.Tensor2D[] };
  const [total, width] = rows.shape;
  const tokens = total / batch;
  const d = width / heads;
  const plain = tf.tidy(() => tf.unstack(tf.reshape(tf.transpose(tf.reshape(rows, [batch, tokens, heads, d]), [0, 2, 1, 3]), [groups, tokens, d]))) as tf.Tensor2D[];
  return { plain, transposed: withTransposed ? plain.map((t) => tf.transpose(t)) : undefined };
}

const qkvGradientKernel: FusedKernel<HeadAttrs> = {
  name: 'DitHeadsToQkvGradient',
  outputShapes(shapes, { batch, heads }) {
    const [tokens, d] = shapes[0];
    return [[batch * tokens, 3 * heads * d]];
  },
  compute(inputs, [out], shapes, { batch, heads, scale }) {
    const groups = batch * heads;
    const [tokens, d] = shapes[0];
    const cos = inputs[3 * groups];
    const sin = inputs[3 * groups + 1];
    const half = d / 2;
    const width = heads * d;
    for (let b = 0; b < batch; b++) {
      for (let n = 0; n < tokens; n++) {
        const row = (b * tokens + n) * 3 * width;
        const table = n * d;
        for (let h = 0; h < heads; h++) {
          const g = b * heads + h;
          const dq = inputs[g];
          const dkT = inputs[groups + g];
          const dvT = inputs[2 * groups + g];
          const qAt = row + h * d;
          const kAt = qAt + width;
          const vAt = qAt + 2 * width;
          const at = n * d;
          // The transposed rotation (rotation by minus the angles): dx1 = dy1 c1 + dy2 s2, dx2 = dy2 c2 - dy1 s1.
          for (let j = 0; j < half; j++) {
            const c1 = cos[table + j];
            const s1 = sin[table + j];
            const c2 = cos[table + half + j];
            const s2 = sin[table + half + j];
            const q1 = dq[at + j];
            const q2 = dq[at + half + j];
            out[qAt + j] = scale * (q1 * c1 + q2 * s2);
            out[qAt + half + j] = scale * (q2 * c2 - q1 * s1);
            const k1 = dkT[j * tokens + n];
            const k2 = dkT[(half + j) * tokens + n];
            out[kAt + j] = k1 * c1 + k2 * s2;
            out[kAt + half + j] = k2 * c2 - k1 * s1;
          }
          for (let j = 0; j < d; j++) out[vAt + j] = dvT[j * tokens + n];
        }
      }
    }
  },
};

/**
 * The backward pass of {@link qkvToHeads}: per-head gradients of the scaled rotated queries
 * [N, d], of the rotated transposed keys [d, N] and of the values, transposed [d, N] ->
 * d(qkv) [B * N, 3D].
 */
export function headsToQkvGradient(dQueries: tf.Tensor2D[], dKeysT: tf.Tensor2D[], dValuesT: tf.Tensor2D[], rope: RopeTables, layout: HeadLayout, scale: number): tf.Tensor2D {
  const { batch, heads } = layout;
  const fused = runFused(qkvGradientKernel, [...dQueries, ...dKeysT, ...dValuesT, rope.cos, rope.sin], { batch, heads, scale });
  if (fused) return fused[0] as tf.Tensor2D;
  const [tokens, d] = dQueries[0].shape;
  return tf.tidy(() => {
    const toRows = (perHead: tf.Tensor2D[], transposed: boolean, rotate: boolean) => {
      let x = tf.stack(perHead) as tf.Tensor3D; // [G, N, d] or [G, d, N]
      if (transposed) x = tf.transpose(x, [0, 2, 1]);
      let tokensFirst = tf.transpose(tf.reshape(x, [batch, heads, tokens, d]), [0, 2, 1, 3]) as tf.Tensor4D;
      if (rotate) tokensFirst = applyRopeBackward(tokensFirst, rope);
      return tf.reshape(tokensFirst, [batch * tokens, heads * d]);
    };
    const dq = tf.mul(toRows(dQueries, false, true), scale);
    return tf.concat([dq, toRows(dKeysT, true, true), toRows(dValuesT, true, false)], 1) as tf.Tensor2D;
  });
}

// ---------------------------------------------------------------------------------------------
// Softmax backward

/**
 * dS = P * (dP - rowsum(dP * P)): the softmax Jacobian applied to dP, along the last axis of P ([R, C] or [G, R, C]).
 * Four tfjs ops on purpose: on wasm they are vectorised XNNPACK/SIMD loops, and a one-pass
 * JavaScript kernel measured ~1.8x slower on [1280, 1280] maps despite reading P and dP once.
 */
export function softmaxBackward<T extends tf.Tensor>(probabilities: T, dProbabilities: T): T {
  return tf.tidy(() => tf.mul(probabilities, tf.sub(dProbabilities, tf.sum(tf.mul(dProbabilities, probabilities), -1, true))) as T);
}
