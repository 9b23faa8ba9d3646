import * as tf from '@tensorflow/tfjs-core';
import { divideRoundingUp, runWebgpuKernel, type WebgpuKernel, type WebgpuProgram } from './program.js';

/**
 * Per-sample column sums over the tokens of rows [B * N, D], the reductions of the adaLN
 * backward pass: dGate = sum_n dOut * branch; dScale = sum_n dH * x_hat with dShift = sum_n dH.
 * Each thread sums one vec4 column over a chunk of ROWS_PER_CHUNK tokens (coalesced: the
 * threads of a workgroup read consecutive columns of the same rows), writing partial sums
 * [chunks, B, ...]; a tfjs sum over the chunks finishes. That keeps B * D / 4 * chunks threads
 * busy where one thread per column would leave most of a GPU idle.
 */
const ROWS_PER_CHUNK = 64;

/** What is summed: a * y; a * y and a (two outputs side by side); or a alone. */
type ColumnSumMode = 'product' | 'productAndSum' | 'sum';

type ColumnSumAttrs = { batch: number; tokens: number; mode: ColumnSumMode };

class ColumnSumProgram implements WebgpuProgram {
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1, 2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'batch : i32, tokens : i32, threads : i32,';
  readonly threads: number;

  /** Partial sums [chunks, B, D] per sample and column (productAndSum: [chunks, B, 2D], the sums of a after those of a * y). */
  constructor(private readonly mode: ColumnSumMode, private readonly rowVectors: number, chunks: number, batch: number) {
    this.variableNames = mode === 'sum' ? ['a'] : ['a', 'y'];
    this.variableComponents = this.variableNames.map(() => 4);
    this.outputShape = [chunks, batch, (mode === 'productAndSum' ? 2 : 1) * rowVectors * 4];
    this.threads = chunks * batch * rowVectors;
    this.dispatch = [divideRoundingUp(this.threads, 64), 1, 1];
    this.shaderKey = `ditSampleColumnSums_${mode}_${rowVectors}`;
  }

  getUserCode(): string {
    const outputs = this.mode === 'productAndSum' ? 2 : 1;
    const withProduct = this.mode !== 'sum';
    const withSum = this.mode !== 'product';
    return /* wgsl */ `
      const ROW_VECTORS = ${this.rowVectors};
      const ROWS_PER_CHUNK = ${ROWS_PER_CHUNK};
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let c = index % ROW_VECTORS;
        let b = (index / ROW_VECTORS) % uniforms.batch;
        let chunk = index / (ROW_VECTORS * uniforms.batch);
        let first = chunk * ROWS_PER_CHUNK;
        let last = min(first + ROWS_PER_CHUNK, uniforms.tokens);
        var productSum = vec4<f32>(0.0);
        var sum = vec4<f32>(0.0);
        for (var n = first; n < last; n++) {
          let at = (b * uniforms.tokens + n) * ROW_VECTORS + c;
          ${withProduct ? 'productSum = fma(a[at], y[at], productSum);' : ''}
          ${withSum ? 'sum = sum + a[at];' : ''}
        }
        let out = (chunk * uniforms.batch + b) * ${outputs} * ROW_VECTORS + c;
        ${withProduct ? 'result[out] = productSum;' : 'result[out] = sum;'}
        ${this.mode === 'productAndSum' ? 'result[out + ROW_VECTORS] = sum;' : ''}
      }
    `;
  }
}

const columnSumKernel: WebgpuKernel<ColumnSumAttrs> = {
  name: 'DitSampleColumnSums',
  run(backend, inputs, { batch, tokens, mode }) {
    const rowVectors = inputs[0].shape[1] / 4;
    const program = new ColumnSumProgram(mode, rowVectors, divideRoundingUp(tokens, ROWS_PER_CHUNK), batch);
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [batch] },
      { type: 'int32', data: [tokens] },
      { type: 'int32', data: [program.threads] },
    ]);
  },
};

function checkRows(where: string, tokens: number, a: tf.Tensor, y: tf.Tensor): number {
  const [total, width] = a.shape;
  if (a.rank !== 2 || y.rank !== 2 || y.shape[0] !== total || y.shape[1] !== width || width % 4 !== 0) {
    throw new Error(`${where}: operands must be the same [T, D] with D a multiple of 4, found [${a.shape.join(', ')}] and [${y.shape.join(', ')}]`);
  }
  if (total % tokens !== 0) throw new Error(`${where}: ${total} rows are not whole samples of ${tokens} tokens`);
  return total / tokens;
}

/** Sums over each sample's tokens of a * y, for rows [B * N, D] -> [B, D] (e.g. the gate's gradient). */
export function sampleColumnSumsOfProduct(a: tf.Tensor2D, y: tf.Tensor2D, tokens: number): tf.Tensor2D {
  const batch = checkRows('sampleColumnSumsOfProduct', tokens, a, y);
  const [partials] = runWebgpuKernel(columnSumKernel, [a, y], { batch, tokens, mode: 'product' });
  const sums = tf.sum(partials, 0) as tf.Tensor2D;
  partials.dispose();
  return sums;
}

/** Sums over each sample's tokens of a * y and of a -> [B, D] each (adaLN's dScale and dShift from dH and x_hat). */
export function sampleColumnSumsWithProduct(a: tf.Tensor2D, y: tf.Tensor2D, tokens: number): { sumOfProduct: tf.Tensor2D; sum: tf.Tensor2D } {
  const batch = checkRows('sampleColumnSumsWithProduct', tokens, a, y);
  const [partials] = runWebgpuKernel(columnSumKernel, [a, y], { batch, tokens, mode: 'productAndSum' });
  const width = a.shape[1];
  const result = tf.tidy(() => {
    const sums = tf.sum(partials, 0);
    return { sumOfProduct: tf.slice(sums, [0, 0], [batch, width]) as tf.Tensor2D, sum: tf.slice(sums, [0, width], [batch, width]) as tf.Tensor2D };
  });
  partials.dispose();
  return result;
}

/**
 * The sum over all rows of a [T, D] -> [D] (a Linear's bias gradient): one read of a, where
 * tfjs' generic sum over axis 0 first transposes all of it.
 */
export function columnSums(a: tf.Tensor2D): tf.Tensor1D {
  if (a.rank !== 2 || a.shape[1] % 4 !== 0) throw new Error(`columnSums: a must be [T, D] with D a multiple of 4, found [${a.shape.join(', ')}]`);
  const [partials] = runWebgpuKernel(columnSumKernel, [a], { batch: 1, tokens: a.shape[0], mode: 'sum' });
  const sums = tf.tidy(() => tf.reshape(tf.sum(partials, 0), [a.shape[1]]) as tf.Tensor1D);
  partials.dispose();
  return sums;
}

