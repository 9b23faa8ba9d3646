import * as tf from '@tensorflow/tfjs-core';
import { divideRoundingUp, runWebgpuKernel, type WebgpuKernel, type WebgpuProgram } from './program.js';

/**
 * The block's matrix products on webgpu: op(A) op(B) (+ bias) for 2-D A and B, op a transpose
 * where asked, f32 accumulation.
 *
 * tfjs-backend-webgpu (4.22) runs every large product as MatMulPackedProgram with 32 x 32 output
 * tiles: 8 x 8 threads, 4 x 4 outputs each, 32-deep k tiles. Two things cost it on the model's
 * shapes (original preset, batch 8: T = 10240 rows, D = 1024):
 *  - a 32 x 32 tile reads 64 floats from memory per 32 x 32 = 1024 multiply-adds per k step,
 *    16 FMA per float: at a GPU's f32 peak (H200: ~34 T FMA/s) that is ~8 TB/s of L2/L1 traffic,
 *    more than the caches deliver, so the kernel is bandwidth-bound well below peak;
 *  - with transposeB (every dX = dY W^T of the backward pass) it leaves its vec4 path for scalar
 *    shared-memory loads (8 loads per 16 FMA) and reads B across rows (strided).
 * Here 256 threads share a 128 x 128 tile (8 x 8 outputs each: 64 FMA per float, 4x less
 * traffic) or a 64 x 64 tile (4 x 4 each) when 128-tiles would leave the GPU short of
 * workgroups; operands of either layout are loaded coalesced as vec4 and stored k-major in
 * shared memory, so all four transpose forms run the same inner loop (two vec4 shared loads per
 * 16 or 64 FMA, consecutive threads on consecutive vec4: no bank conflicts). Products whose
 * output has too few tiles even at 64 x 64 (the weight gradients X^T dY: [D, D'] outputs over
 * K = T) split K across workgroups into partial sums, which one tfjs sum adds.
 */

/** An output tiling: tile rows x columns, the k depth per step, the outputs per thread. */
export interface MatMulTiling {
  tileRows: number;
  tileColumns: number;
  tileDepth: number;
  threadRows: number;
  threadColumns: number;
  /** Workgroups along K, each summing a slice of it into its own partial output. */
  splits: number;
}

const TILE_128: Omit<MatMulTiling, 'splits'> = { tileRows: 128, tileColumns: 128, tileDepth: 8, threadRows: 8, threadColumns: 8 };
const TILE_64: Omit<MatMulTiling, 'splits'> = { tileRows: 64, tileColumns: 64, tileDepth: 16, threadRows: 4, threadColumns: 4 };

/**
 * Workgroups a product should offer to keep a large GPU busy: ~4 per compute unit of a 132-SM
 * H200 (each unit runs several 256-thread workgroups at once, and the last wave's tail matters
 * less with more waves). Smaller GPUs are only better served by more, smaller tiles.
 */
export const TARGET_WORKGROUPS = 512;

/** The tiling for an [M, N] output over K: 128-tiles if they give enough workgroups, else 64-tiles, split along K if still short. */
export function chooseMatMulTiling(rows: number, columns: number, inner: number): MatMulTiling {
  const tiles = (t: Omit<MatMulTiling, 'splits'>) => divideRoundingUp(rows, t.tileRows) * divideRoundingUp(columns, t.tileColumns);
  if (tiles(TILE_128) >= TARGET_WORKGROUPS) return { ...TILE_128, splits: 1 };
  const count = tiles(TILE_64);
  // Each split keeps at least 512 of K, so partial sums stay a small share of the work.
  const splits = Math.max(1, Math.min(divideRoundingUp(TARGET_WORKGROUPS, count), Math.floor(inner / 512)));
  return { ...TILE_64, splits };
}

type MatMulAttrs = { transposeA: boolean; transposeB: boolean; hasBias: boolean } & MatMulTiling;

class TiledMatMulProgram implements WebgpuProgram {
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  uniforms = 'dimRows : i32, dimColumns : i32, dimInner : i32, innerPerSplit : i32,';

  constructor(private readonly attrs: MatMulAttrs, rows: number, columns: number) {
    const { tileRows, tileColumns, splits, hasBias } = attrs;
    this.variableNames = hasBias ? ['A', 'B', 'bias'] : ['A', 'B'];
    this.variableComponents = hasBias ? [4, 4, 4] : [4, 4];
    this.outputShape = splits > 1 ? [splits, rows, columns] : [rows, columns];
    // Columns on x, rows on y, splits on z (tfjs derives an unused getOutputCoords from it).
    this.dispatchLayout = splits > 1 ? { x: [2], y: [1], z: [0] } : { x: [1], y: [0] };
    this.dispatch = [divideRoundingUp(columns, tileColumns), divideRoundingUp(rows, tileRows), splits];
    const { transposeA, transposeB, tileDepth, threadRows, threadColumns } = attrs;
    this.shaderKey = `ditTiledMatMul_${tileRows}_${tileColumns}_${tileDepth}_${threadRows}_${threadColumns}_${transposeA}_${transposeB}_${hasBias}`;
  }

  getUserCode(): string {
    const { tileRows: bm, tileColumns: bn, tileDepth: bk, threadRows: tm, threadColumns: tn, transposeA, transposeB, hasBias } = this.attrs;
    // A tile [k][m / 4] and B tile [k][n / 4], both k-major: the inner loop reads a vec4 of 4
    // rows of A and a vec4 of 4 columns of B per k.
    const loadA = transposeA
      ? /* wgsl */ `
        // A is stored [K, M]: vec4 along m, straight into the k-major tile.
        for (var i = local; i < BK * BM / 4; i += 256) {
          let kk = i / (BM / 4);
          let mv = i % (BM / 4);
          let gk = k0 + kk;
          let gm = rowStart + 4 * mv;
          var v = vec4<f32>(0.0);
          if (gk < kEnd && gm < uniforms.dimRows) { v = A[(gk * uniforms.dimRows + gm) / 4]; }
          aTile[kk * (BM / 4) + mv] = v;
        }`
      : /* wgsl */ `
        // A is stored [M, K]: vec4 along k, scattered into the k-major tile.
        for (var i = local; i < BM * BK / 4; i += 256) {
          let m = i / (BK / 4);
          let kv = i % (BK / 4);
          let gk = k0 + 4 * kv;
          let gm = rowStart + m;
          var v = vec4<f32>(0.0);
          if (gk < kEnd && gm < uniforms.dimRows) { v = A[(gm * uniforms.dimInner + gk) / 4]; }
          for (var j = 0; j < 4; j++) { aTile[(4 * kv + j) * (BM / 4) + m / 4][m % 4] = v[j]; }
        }`;
    const loadB = transposeB
      ? /* wgsl */ `
        // B is stored [N, K]: vec4 along k, scattered into the k-major tile.
        for (var i = local; i < BN * BK / 4; i += 256) {
          let n = i / (BK / 4);
          let kv = i % (BK / 4);
          let gk = k0 + 4 * kv;
          let gn = colStart + n;
          var v = vec4<f32>(0.0);
          if (gk < kEnd && gn < uniforms.dimColumns) { v = B[(gn * uniforms.dimInner + gk) / 4]; }
          for (var j = 0; j < 4; j++) { bTile[(4 * kv + j) * (BN / 4) + n / 4][n % 4] = v[j]; }
        }`
      : /* wgsl */ `
        // B is stored [K, N]: vec4 along n, straight into the k-major tile.
        for (var i = local; i < BK * BN / 4; i += 256) {
          let kk = i / (BN / 4);
          let nv = i % (BN / 4);
          let gk = k0 + kk;
          let gn = colStart + 4 * nv;
          var v = vec4<f32>(0.0);
          if (gk < kEnd && gn < uniforms.dimColumns) { v = B[(gk * uniforms.dimColumns + gn) / 4]; }
          bTile[kk * (BN / 4) + nv] = v;
        }`;
    return /* wgsl */ `
      const BM = ${bm};
      const BN = ${bn};
      const BK = ${bk};
      // Vec4 groups of rows and columns per thread; a thread's groups sit BM / TM (BN / TN)
      // vec4 apart, so neighbouring threads read neighbouring vec4 of the tiles.
      const ROW_GROUPS = ${tm / 4};
      const COLUMN_GROUPS = ${tn / 4};
      const ROW_STRIDE = ${bm / tm};
      const COLUMN_STRIDE = ${bn / tn};

      var<workgroup> aTile : array<vec4<f32>, ${(bk * bm) / 4}>;
      var<workgroup> bTile : array<vec4<f32>, ${(bk * bn) / 4}>;

      fn main() {
        let local = i32(localIndex);
        let tx = local % COLUMN_STRIDE;
        let ty = local / COLUMN_STRIDE;
        let rowStart = i32(workgroupId.y) * BM;
        let colStart = i32(workgroupId.x) * BN;
        let split = i32(workgroupId.z);
        let kBegin = split * uniforms.innerPerSplit;
        let kEnd = min(uniforms.dimInner, kBegin + uniforms.innerPerSplit);

        var acc : array<vec4<f32>, ${tm * (tn / 4)}>;
        for (var e = 0; e < ${tm * (tn / 4)}; e++) { acc[e] = vec4<f32>(0.0); }

        // A uniform trip count (barriers inside); steps past kEnd load zeros.
        let steps = (uniforms.innerPerSplit + BK - 1) / BK;
        for (var step = 0; step < steps; step++) {
          let k0 = kBegin + step * BK;
          ${loadA}
          ${loadB}
          workgroupBarrier();
          for (var k = 0; k < BK; k++) {
            var a : array<vec4<f32>, ROW_GROUPS>;
            var b : array<vec4<f32>, COLUMN_GROUPS>;
            for (var r = 0; r < ROW_GROUPS; r++) { a[r] = aTile[k * (BM / 4) + ty + r * ROW_STRIDE]; }
            for (var c = 0; c < COLUMN_GROUPS; c++) { b[c] = bTile[k * (BN / 4) + tx + c * COLUMN_STRIDE]; }
            for (var r = 0; r < ROW_GROUPS; r++) {
              for (var i = 0; i < 4; i++) {
                let av = vec4<f32>(a[r][i]);
                for (var c = 0; c < COLUMN_GROUPS; c++) {
                  acc[(r * 4 + i) * COLUMN_GROUPS + c] = fma(av, b[c], acc[(r * 4 + i) * COLUMN_GROUPS + c]);
                }
              }
            }
          }
          workgroupBarrier();
        }

        let columnVectors = uniforms.dimColumns / 4;
        for (var r = 0; r < ROW_GROUPS; r++) {
          for (var i = 0; i < 4; i++) {
            let row = rowStart + 4 * (ty + r * ROW_STRIDE) + i;
            if (row < uniforms.dimRows) {
              for (var c = 0; c < COLUMN_GROUPS; c++) {
                let columnVector = colStart / 4 + tx + c * COLUMN_STRIDE;
                if (columnVector < columnVectors) {
                  var value = acc[(r * 4 + i) * COLUMN_GROUPS + c];
                  ${hasBias ? 'value = value + bias[columnVector];' : ''}
                  result[(split * uniforms.dimRows + row) * columnVectors + columnVector] = value;
                }
              }
            }
          }
        }
      }
    `;
  }
}

const matMulKernel: WebgpuKernel<MatMulAttrs> = {
  name: 'DitTiledMatMul',
  run(backend, inputs, attrs) {
    const [a, b] = inputs;
    const rows = attrs.transposeA ? a.shape[1] : a.shape[0];
    const inner = attrs.transposeA ? a.shape[0] : a.shape[1];
    const columns = attrs.transposeB ? b.shape[0] : b.shape[1];
    const program = new TiledMatMulProgram(attrs, rows, columns);
    const innerPerSplit = divideRoundingUp(divideRoundingUp(inner, attrs.splits), attrs.tileDepth) * attrs.tileDepth;
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [columns] },
      { type: 'int32', data: [inner] },
      { type: 'int32', data: [innerPerSplit] },
    ]);
  },
};

/** The smallest products worth this kernel: below, tfjs' own small-output programs do as well. */
const MIN_OUTPUT_SIDE = 64;

/**
 * Whether {@link tiledMatMul} takes op(a) op(b): 2-D float32 operands whose dimensions read as
 * vec4 (the output's columns and the vec4-read side of each operand a multiple of 4) and an
 * output at least 64 x 64.
 */
export function tiledMatMulApplies(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): boolean {
  if (a.rank !== 2 || b.rank !== 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  const [aRows, aColumns] = a.shape as [number, number];
  const [bRows, bColumns] = b.shape as [number, number];
  const [rows, inner] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
  const [innerB, columns] = transposeB ? [bColumns, bRows] : [bRows, bColumns];
  if (inner !== innerB || rows < MIN_OUTPUT_SIDE || columns < MIN_OUTPUT_SIDE) return false;
  return columns % 4 === 0 && inner % 4 === 0 && (!transposeA || rows % 4 === 0);
}

export interface TiledMatMulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Added to every row, [N]. */
  bias?: tf.Tensor1D;
  /** Overrides {@link chooseMatMulTiling} (tests). */
  tiling?: MatMulTiling;
}

/** op(a) op(b) + bias with @dit's tiled kernel (see {@link tiledMatMulApplies} for the operands it takes). */
export function tiledMatMul(a: tf.Tensor2D, b: tf.Tensor2D, options: TiledMatMulOptions = {}): tf.Tensor2D {
  const { transposeA = false, transposeB = false, bias } = options;
  if (!tiledMatMulApplies(a, b, transposeA, transposeB)) {
    throw new Error(`tiledMatMul: cannot take [${a.shape.join(', ')}]${transposeA ? '^T' : ''} x [${b.shape.join(', ')}]${transposeB ? '^T' : ''} (2-D float32, inner sizes equal, output at least 64 x 64, sizes read as vec4 a multiple of 4)`);
  }
  const rows = transposeA ? a.shape[1] : a.shape[0];
  const inner = transposeA ? a.shape[0] : a.shape[1];
  const columns = transposeB ? b.shape[0] : b.shape[1];
  if (bias && (bias.rank !== 1 || bias.shape[0] !== columns)) throw new Error(`tiledMatMul: bias must be [${columns}], found [${bias.shape.join(', ')}]`);
  const tiling = options.tiling ?? chooseMatMulTiling(rows, columns, inner);
  const attrs = { transposeA, transposeB, hasBias: bias !== undefined && tiling.splits === 1, ...tiling };
  const [out] = runWebgpuKernel(matMulKernel, attrs.hasBias ? [a, b, bias!] : [a, b], attrs);
  if (tiling.splits === 1) return out as tf.Tensor2D;
  // Partial sums over K: one reduction over the splits (and the bias after it).
  return tf.tidy(() => {
    const summed = tf.sum(out, 0) as tf.Tensor2D;
    out.dispose();
    return bias ? (tf.add(summed, bias) as tf.Tensor2D) : summed;
  });
}
