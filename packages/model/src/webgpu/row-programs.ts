import { divideRoundingUp, type WebgpuProgram } from './program.js';

/**
 * Two program shapes the normalisation, residual and GELU kernels share, over token rows
 * [T, D] (T = B * N, sample-major) read and written as vec4 (D % 4 == 0):
 *
 * - element-wise: one thread per vec4, flat dispatch (tfjs folds it into 2-D past 65535
 *   workgroups, and `main(index)` receives the flat index either way);
 * - per-row: one 64-thread workgroup per row, for row reductions (LayerNorm statistics and
 *   its backward pass): each thread holds ceil(D / 256) vec4 of the row in registers, so the
 *   row is read once and reduced through shared memory.
 */

const ELEMENTWISE_WORKGROUP = 256;
export const ROW_WORKGROUP = 64;

export interface ElementwiseSpec {
  /** Shader key prefix; the kernel's constants must be in it. */
  key: string;
  inputs: string[];
  /** Vector width per input (4 for [T, D]-like arrays, 1 for per-row scalars). */
  components: number[];
  /** Output shape; its size / 4 threads run. */
  outputShape: number[];
  uniforms?: string;
  /** WGSL statements computing `value : vec4<f32>` for vec4 index `index`. */
  body: string;
  /** WGSL declarations (functions, constants) placed before main. */
  declarations?: string;
}

export function elementwiseProgram(spec: ElementwiseSpec): WebgpuProgram {
  const vectors = spec.outputShape.reduce((a, b) => a * b, 1) / 4;
  return {
    variableNames: spec.inputs,
    variableComponents: spec.components,
    outputComponent: 4,
    outputShape: spec.outputShape,
    shaderKey: spec.key,
    dispatchLayout: { x: spec.outputShape.map((_, i) => i) },
    dispatch: [divideRoundingUp(vectors, ELEMENTWISE_WORKGROUP), 1, 1],
    workgroupSize: [ELEMENTWISE_WORKGROUP, 1, 1],
    uniforms: `vectors : i32, ${spec.uniforms ?? ''}`,
    getUserCode: () => /* wgsl */ `
      ${spec.declarations ?? ''}
      fn main(index : i32) {
        if (index >= uniforms.vectors) { return; }
        ${spec.body}
        result[index] = value;
      }
    `,
  };
}

/** The uniform value of an element-wise program's `vectors` field. */
export const vectorCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1) / 4;

export interface RowSpec {
  key: string;
  inputs: string[];
  components: number[];
  /** Rows (one workgroup each) and vec4 per row. */
  rows: number;
  rowVectors: number;
  outputShape: number[];
  outputComponent: number;
  uniforms?: string;
  /**
   * WGSL statements of main; `row`, `local`, ROW_VECTORS, SLOTS (vec4 per thread) and
   * `rowSum(f32) -> f32` are in scope. The program's first uniform is `rows`, then `uniforms`.
   */
  body: string;
}

/** One workgroup per row; `rowSum` reduces a per-thread value over the workgroup (all threads must call it). */
export function rowProgram(spec: RowSpec): WebgpuProgram {
  return {
    variableNames: spec.inputs,
    variableComponents: spec.components,
    outputComponent: spec.outputComponent,
    outputShape: spec.outputShape,
    shaderKey: spec.key,
    // Flat, so tfjs may fold more than 65535 rows into a 2-D dispatch; the row is rebuilt from it.
    dispatchLayout: { x: spec.outputShape.map((_, i) => i) },
    dispatch: [spec.rows, 1, 1],
    workgroupSize: [ROW_WORKGROUP, 1, 1],
    uniforms: `rows : i32, ${spec.uniforms ?? ''}`,
    getUserCode: () => /* wgsl */ `
      const ROW_VECTORS = ${spec.rowVectors};
      const SLOTS = ${divideRoundingUp(spec.rowVectors, ROW_WORKGROUP)};
      var<workgroup> partials : array<f32, ${ROW_WORKGROUP}>;

      fn rowSum(value : f32) -> f32 {
        let local = i32(localIndex);
        partials[local] = value;
        workgroupBarrier();
        for (var stride = ${ROW_WORKGROUP / 2}; stride > 0; stride = stride / 2) {
          if (local < stride) {
            partials[local] = partials[local] + partials[local + stride];
          }
          workgroupBarrier();
        }
        let total = partials[0];
        workgroupBarrier();
        return total;
      }

      fn main(flatIndex : i32) {
        // Workgroups past the last row (a folded dispatch) redo the last row and write the same
        // values: an early return would break the uniform control flow rowSum's barriers need
        // (tfjs hands the builtins over through private variables, which WGSL deems non-uniform).
        let row = min(i32(workgroupId.x + workgroupId.y * numWorkgroups.x), uniforms.rows - 1);
        let local = i32(localIndex);
        ${spec.body}
      }
    `,
  };
}
