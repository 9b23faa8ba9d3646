import * as tf from '@tensorflow/tfjs-core';
import { divideRoundingUp, runWebgpuKernel, type WebgpuKernel, type WebgpuProgram } from './program.js';

/**
 * Per-sample column sums over the tokens of rows [B * N, D], the reductions of the adaLN
 * backward pass: dGate = sum_n dOut * y, dShift = sum_n dH, dScale = sum_n dH * x_hat.
 * Each thread sums one vec4 column over a chunk of ROWS_PER_CHUNK tokens (coalesced: the
 * threads of a workgroup read consecutive columns of the same rows), writing partial sums
 * [chunks, B, ...]; a tfjs sum over the chunks finishes. That keeps B * D / 4 * chunks threads
 * busy where one thread per column would leave most of a GPU idle.
 */
const ROWS_PER_CHUNK = 64;

type ColumnSumAttrs = { batch: number; tokens: number };

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

  /** `normalized`: sums of a and of a * x_hat (from x and its statistics); else sums of a * y. */
  constructor(private readonly normalized: boolean, private readonly rowVectors: number, chunks: number, batch: number) {
    this.variableNames = normalized ? ['a', 'x', 'stats'] : ['a', 'y'];
    this.variableComponents = normalized ? [4, 4, 1] : [4, 4];
    const outputs = normalized ? 2 : 1;
    this.outputShape = [chunks, batch, outputs * rowVectors * 4];
    this.threads = chunks * batch * rowVectors;
    this.dispatch = [divideRoundingUp(this.threads, 64), 1, 1];
    this.shaderKey = `ditSampleColumnSums_${normalized}_${rowVectors}`;
  }

  getUserCode(): string {
    const sums = this.normalized
      ? /* wgsl */ `
        var shiftSum = vec4<f32>(0.0);
        var scaleSum = vec4<f32>(0.0);
        for (var n = first; n < last; n++) {
          let row = b * uniforms.tokens + n;
          let at = row * ROW_VECTORS + c;
          let normalized = (x[at] - vec4<f32>(stats[2 * row])) * stats[2 * row + 1];
          shiftSum = shiftSum + a[at];
          scaleSum = fma(a[at], normalized, scaleSum);
        }
        result[(chunk * uniforms.batch + b) * 2 * ROW_VECTORS + c] = shiftSum;
        result[(chunk * uniforms.batch + b) * 2 * ROW_VECTORS + ROW_VECTORS + c] = scaleSum;`
      : /* wgsl */ `
        var sum = vec4<f32>(0.0);
        for (var n = first; n < last; n++) {
          let at = (b * uniforms.tokens + n) * ROW_VECTORS + c;
          sum = fma(a[at], y[at], sum);
        }
        result[(chunk * uniforms.batch + b) * ROW_VECTORS + c] = sum;`;
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
        ${sums}
      }
    `;
  }
}

const columnSumKernel: WebgpuKernel<ColumnSumAttrs> = {
  name: 'DitSampleColumnSums',
  run(backend, inputs, { batch, tokens }) {
    const rowVectors = inputs[0].shape[1] / 4;
    const program = new ColumnSumProgram(inputs.length === 3, rowVectors, divideRoundingUp(tokens, ROWS_PER_CHUNK), batch);
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [batch] },
      { type: 'int32', data: [tokens] },
      { type: 'int32', data: [program.threads] },
    ]);
  },
};

function checkRows(where: string, tokens: number, ...rows: tf.Tensor[]): number {
  const [total, width] = rows[0].shape;
  for (const t of rows) {
    if (t.rank !== 2 || t.shape[0] !== total || t.shape[1] !== width || width % 4 !== 0) {
      throw new Error(`${where}: operands must be [T, D] alike with D a multiple of 4, found [${t.shape.join(', ')}] and [${rows[0].shape.join(', ')}]`);
    }
  }
  if (total % tokens !== 0) throw new Error(`${where}: ${total} rows are not whole samples of ${tokens} tokens`);
  return total / tokens;
}

/** sum over each sample's tokens of a * b, for rows [B * N, D] -> [B, D] (e.g. the gate's gradient). */
export function sampleColumnSumsOfProduct(a: tf.Tensor2D, b: tf.Tensor2D, tokens: number): tf.Tensor2D {
  const batch = checkRows('sampleColumnSumsOfProduct', tokens, a, b);
  const [partials] = runWebgpuKernel(columnSumKernel, [a, b], { batch, tokens });
  const sums = tf.sum(partials, 0) as tf.Tensor2D;
  partials.dispose();
  return sums;
}

/**
 * sum over each sample's tokens of a and of a * x_hat, x_hat the LayerNorm of x (from its
 * statistics [T, 2]) -> [B, D] each: the gradients of adaLN's shift and scale from dH.
 */
export function sampleColumnSumsNormalized(a: tf.Tensor2D, x: tf.Tensor2D, stats: tf.Tensor2D, tokens: number): { sum: tf.Tensor2D; sumTimesNormalized: tf.Tensor2D } {
  const batch = checkRows('sampleColumnSumsNormalized', tokens, a, x);
  if (stats.shape[0] !== a.shape[0] || stats.shape[1] !== 2) throw new Error(`sampleColumnSumsNormalized: stats must be [${a.shape[0]}, 2], found [${stats.shape.join(', ')}]`);
  const [partials] = runWebgpuKernel(columnSumKernel, [a, x, stats], { batch, tokens });
  const width = a.shape[1];
  const result = tf.tidy(() => {
    const sums = tf.sum(partials, 0);
    return { sum: tf.slice(sums, [0, 0], [batch, width]) as tf.Tensor2D, sumTimesNormalized: tf.slice(sums, [0, width], [batch, width]) as tf.Tensor2D };
  });
  partials.dispose();
  return result;
}
