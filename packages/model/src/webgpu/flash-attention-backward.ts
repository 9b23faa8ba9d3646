import type * as tf from '@tensorflow/tfjs-core';
import type { AttentionGeometry } from './flash-attention-forward.js';
import { chooseKeyTile, headConstantsWgsl, keyValueTileWgsl, ROPE_WGSL } from './attention-wgsl.js';
import { divideRoundingUp, type WebgpuBackendLike, type WebgpuKernel, type WebgpuProgram, workgroupStorageBytes } from './program.js';

/**
 * Flash attention backward (FlashAttention-2, Dao 2023, section 3.1.2), in three programs
 * because WebGPU has no float atomics to let one pass scatter dQ:
 *   1. rowDot_i = sum_c dO_ic O_ic per query row (the softmax backward's correction term);
 *   2. per query row: dQ = sum_j dS_ij K_j, with P_ij = exp(q_i k_j - lse_i) and
 *      dS_ij = P_ij (dO_i v_j - rowDot_i) recomputed key tile by key tile;
 *   3. per block of keys: dV = sum_i P_ij dO_i and dK = sum_i dS_ij q_i, streaming query tiles.
 * Programs 2 and 3 write disjoint columns of one d(qkv) [B * N, 3D] output (q | k | v), with
 * RoPE and the scale transposed on the way out. No N x N tensor exists at any point.
 */

const QUERY_TILE = 64;

/** Tiles of the dK/dV program: keys per thread (x16 per workgroup) and queries per thread (x4 per step). */
export interface KeyBlockTiles {
  keysPerThread: number;
  queriesPerThread: number;
}

function keyBlockBytes(headDim: number, { keysPerThread, queriesPerThread }: KeyBlockTiles): number {
  const keys = 16 * keysPerThread;
  const queries = 4 * queriesPerThread;
  return 4 * (2 * keys * headDim + 2 * queries * headDim + 2 * queries * keys + 2 * queries);
}

/** Every dK/dV tiling, largest first. */
export const KEY_BLOCK_TILES: readonly KeyBlockTiles[] = [2, 1].flatMap((keysPerThread) => [4, 2, 1].map((queriesPerThread) => ({ keysPerThread, queriesPerThread })));

/** The largest dK/dV tiles whose shared memory fits, or undefined. */
export function backwardTiles(headDim: number, workgroupStorageBytes: number): KeyBlockTiles | undefined {
  return KEY_BLOCK_TILES.find((tiles) => keyBlockBytes(headDim, tiles) <= workgroupStorageBytes);
}

/** `forced` when given (tests run every tiling on one device; it must be one of KEY_BLOCK_TILES and fit), else the largest that fits. */
function chooseKeyBlockTiles(headDim: number, workgroupStorageBytes: number, forced: KeyBlockTiles | undefined): KeyBlockTiles | undefined {
  if (forced === undefined) return backwardTiles(headDim, workgroupStorageBytes);
  const where = `DitFlashAttentionBackward: keyBlock ${JSON.stringify(forced)}`;
  if (!KEY_BLOCK_TILES.some((tiles) => tiles.keysPerThread === forced.keysPerThread && tiles.queriesPerThread === forced.queriesPerThread)) {
    throw new Error(`${where} is not one of ${KEY_BLOCK_TILES.map((tiles) => JSON.stringify(tiles)).join(', ')}`);
  }
  const bytes = keyBlockBytes(headDim, forced);
  if (bytes > workgroupStorageBytes) throw new Error(`${where} at head dim ${headDim} needs ${bytes} bytes of workgroup storage, the device has ${workgroupStorageBytes}`);
  return forced;
}

/** rowDot [B * heads, N]: dO . O per query row. */
class RowDotProgram implements WebgpuProgram {
  variableNames = ['attended', 'dOutput'];
  variableComponents = [4, 4];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'tokens : i32, heads : i32,';

  constructor(private readonly geometry: AttentionGeometry) {
    const { batch, heads, tokens, headDim } = geometry;
    this.outputShape = [batch * heads, tokens];
    this.dispatch = [divideRoundingUp(batch * heads * tokens, 64), 1, 1];
    this.shaderKey = `ditAttentionRowDot_${headDim}`;
  }

  getUserCode(): string {
    return /* wgsl */ `
      ${headConstantsWgsl(this.geometry.headDim)}
      fn main(index : i32) {
        let tokens = uniforms.tokens;
        if (index >= uniforms.outShape[0] * tokens) { return; }
        let group = index / tokens;
        let n = index % tokens;
        let b = group / uniforms.heads;
        let h = group % uniforms.heads;
        let base = (b * tokens + n) * uniforms.heads * HEAD_VEC + h * HEAD_VEC;
        var sum = vec4<f32>(0.0);
        for (var c = 0; c < HEAD_VEC; c++) {
          sum = fma(attended[base + c], dOutput[base + c], sum);
        }
        setOutputAtIndex(index, sum.x + sum.y + sum.z + sum.w);
      }
    `;
  }
}

/** Writes the q columns of d(qkv) [B * N, 3D]: one thread per query row. */
class QueryGradientProgram implements WebgpuProgram {
  variableNames = ['qkv', 'cosTable', 'sinTable', 'logSumExp', 'rowDots', 'dOutput'];
  variableComponents = [4, 4, 4, 1, 1, 4];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [QUERY_TILE, 1, 1];
  uniforms = 'tokens : i32, heads : i32, scale : f32,';

  constructor(private readonly geometry: AttentionGeometry, private readonly keyTile: number) {
    const { batch, heads, tokens, headDim } = geometry;
    this.outputShape = [batch * tokens, 3 * heads * headDim];
    this.dispatch = [divideRoundingUp(tokens, QUERY_TILE), batch * heads, 1];
    this.shaderKey = `ditFlashAttentionQueryGradient_${headDim}_${keyTile}`;
  }

  getUserCode(): string {
    return /* wgsl */ `
      ${headConstantsWgsl(this.geometry.headDim)}
      const KEY_TILE = ${this.keyTile};
      const QUERY_TILE = ${QUERY_TILE};

      ${ROPE_WGSL}
      ${keyValueTileWgsl(this.keyTile, this.geometry.headDim)}

      fn main() {
        let tokens = uniforms.tokens;
        let group = i32(workgroupId.y);
        let b = group / uniforms.heads;
        let h = group % uniforms.heads;
        let width = uniforms.heads * HEAD_VEC;
        let local = i32(localIndex);
        let row = i32(workgroupId.x) * QUERY_TILE + local;
        let n = min(row, tokens - 1);
        let queryBase = (b * tokens + n) * 3 * width + h * HEAD_VEC;
        let rowBase = (b * tokens + n) * width + h * HEAD_VEC;

        var q : array<vec4<f32>, HEAD_VEC>;
        var dO : array<vec4<f32>, HEAD_VEC>;
        var dq : array<vec4<f32>, HEAD_VEC>;
        for (var c = 0; c < HEAD_VEC; c++) {
          q[c] = ropeRead(queryBase, n, c) * uniforms.scale;
          dO[c] = dOutput[rowBase + c];
          dq[c] = vec4<f32>(0.0);
        }
        let lse = logSumExp[group * tokens + n];
        let rowDot = rowDots[group * tokens + n];

        for (var start = 0; start < tokens; start += KEY_TILE) {
          loadKeyValueTile(b, h, start);
          workgroupBarrier();
          for (var j = 0; j < KEY_TILE; j++) {
            var scoreParts = vec4<f32>(0.0);
            var dpParts = vec4<f32>(0.0);
            for (var c = 0; c < HEAD_VEC; c++) {
              scoreParts = fma(q[c], keyTile[j * HEAD_VEC + c], scoreParts);
              dpParts = fma(dO[c], valueTile[j * HEAD_VEC + c], dpParts);
            }
            let score = scoreParts.x + scoreParts.y + scoreParts.z + scoreParts.w;
            let dp = dpParts.x + dpParts.y + dpParts.z + dpParts.w;
            let p = select(0.0, exp(score - lse), start + j < tokens);
            let ds = p * (dp - rowDot);
            for (var c = 0; c < HEAD_VEC; c++) {
              dq[c] = fma(vec4<f32>(ds), keyTile[j * HEAD_VEC + c], dq[c]);
            }
          }
          workgroupBarrier();
        }

        if (row < tokens) {
          for (var c = 0; c < HEAD_VEC; c++) {
            let partner = select(c + HALF_VEC, c - HALF_VEC, c >= HALF_VEC);
            result[queryBase + c] = uniforms.scale * ropeTransposed(dq[c], dq[partner], row, c);
          }
        }
      }
    `;
  }
}

/**
 * Writes the k and v columns of d(qkv): each workgroup owns 16 * keysPerThread keys of one
 * (sample, head), kept transposed in shared memory, and streams the queries in tiles of
 * 4 * queriesPerThread rows. Per tile, phase A computes the P and dS tile (each thread a
 * keysPerThread x queriesPerThread block, register-tiled); phase B accumulates dV and dK (each
 * thread keysPerThread keys x a quarter of the head dim) from it.
 */
class KeyValueGradientProgram implements WebgpuProgram {
  variableNames = ['qkv', 'cosTable', 'sinTable', 'logSumExp', 'rowDots', 'dOutput'];
  variableComponents = [4, 4, 4, 1, 1, 4];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'tokens : i32, heads : i32, scale : f32,';

  constructor(private readonly geometry: AttentionGeometry, private readonly tiles: KeyBlockTiles) {
    const { batch, heads, tokens, headDim } = geometry;
    this.outputShape = [batch * tokens, 3 * heads * headDim];
    this.dispatch = [divideRoundingUp(tokens, 16 * tiles.keysPerThread), batch * heads, 1];
    this.shaderKey = `ditFlashAttentionKeyValueGradient_${headDim}_${tiles.keysPerThread}_${tiles.queriesPerThread}`;
  }

  getUserCode(): string {
    const { headDim } = this.geometry;
    const { keysPerThread, queriesPerThread } = this.tiles;
    const keys = 16 * keysPerThread;
    const queries = 4 * queriesPerThread;
    const headVec = headDim / 4;
    return /* wgsl */ `
      ${headConstantsWgsl(headDim)}
      const KEYS = ${keys};
      const QUERIES = ${queries};
      const KEYS_PER_THREAD = ${keysPerThread};
      const QUERIES_PER_THREAD = ${queriesPerThread};
      // Columns (vec4) of the head dim each thread accumulates in phase B: c = group + 4 r.
      const COLUMNS_PER_THREAD = ${headVec / 4};

      // Keys and values of the block, transposed: [c][key], so threads read consecutive keys.
      var<workgroup> keysT : array<vec4<f32>, ${headVec * keys}>;
      var<workgroup> valuesT : array<vec4<f32>, ${headVec * keys}>;
      // The current query tile: rotated, scaled queries and output gradients, [query][c].
      var<workgroup> queryTile : array<vec4<f32>, ${queries * headVec}>;
      var<workgroup> dOutputTile : array<vec4<f32>, ${queries * headVec}>;
      var<workgroup> lseTile : array<f32, ${queries}>;
      var<workgroup> rowDotTile : array<f32, ${queries}>;
      // P and dS of the tile, [query][key].
      var<workgroup> pTile : array<f32, ${queries * keys}>;
      var<workgroup> dsTile : array<f32, ${queries * keys}>;

      ${ROPE_WGSL}

      fn main() {
        let tokens = uniforms.tokens;
        let group = i32(workgroupId.y);
        let b = group / uniforms.heads;
        let h = group % uniforms.heads;
        let width = uniforms.heads * HEAD_VEC;
        let local = i32(localIndex);
        let slot = local % 16;
        let quarter = local / 16;
        let firstKey = i32(workgroupId.x) * KEYS;

        for (var i = local; i < KEYS * HEAD_VEC; i += 64) {
          let key = firstKey + i / HEAD_VEC;
          let c = i % HEAD_VEC;
          let at = c * KEYS + i / HEAD_VEC;
          if (key < tokens) {
            let keyBase = (b * tokens + key) * 3 * width + width + h * HEAD_VEC;
            keysT[at] = ropeRead(keyBase, key, c);
            valuesT[at] = qkv[keyBase + width + c];
          } else {
            keysT[at] = vec4<f32>(0.0);
            valuesT[at] = vec4<f32>(0.0);
          }
        }

        var dk : array<vec4<f32>, ${keysPerThread * (headVec / 4)}>;
        var dv : array<vec4<f32>, ${keysPerThread * (headVec / 4)}>;
        for (var r = 0; r < KEYS_PER_THREAD * COLUMNS_PER_THREAD; r++) {
          dk[r] = vec4<f32>(0.0);
          dv[r] = vec4<f32>(0.0);
        }

        for (var start = 0; start < tokens; start += QUERIES) {
          for (var i = local; i < QUERIES * HEAD_VEC; i += 64) {
            let query = min(start + i / HEAD_VEC, tokens - 1);
            let c = i % HEAD_VEC;
            let queryBase = (b * tokens + query) * 3 * width + h * HEAD_VEC;
            queryTile[i] = ropeRead(queryBase, query, c) * uniforms.scale;
            dOutputTile[i] = dOutput[(b * tokens + query) * width + h * HEAD_VEC + c];
          }
          if (local < QUERIES) {
            let query = min(start + local, tokens - 1);
            lseTile[local] = logSumExp[group * tokens + query];
            rowDotTile[local] = rowDots[group * tokens + query];
          }
          workgroupBarrier();

          // Phase A: scores and dP for keys slot + 16 k and queries quarter * QPT + q.
          var scoreParts : array<vec4<f32>, ${keysPerThread * queriesPerThread}>;
          var dpParts : array<vec4<f32>, ${keysPerThread * queriesPerThread}>;
          for (var e = 0; e < KEYS_PER_THREAD * QUERIES_PER_THREAD; e++) {
            scoreParts[e] = vec4<f32>(0.0);
            dpParts[e] = vec4<f32>(0.0);
          }
          for (var c = 0; c < HEAD_VEC; c++) {
            for (var k = 0; k < KEYS_PER_THREAD; k++) {
              let keyValue = keysT[c * KEYS + slot + 16 * k];
              let valueValue = valuesT[c * KEYS + slot + 16 * k];
              for (var q = 0; q < QUERIES_PER_THREAD; q++) {
                let i = quarter * QUERIES_PER_THREAD + q;
                scoreParts[k * QUERIES_PER_THREAD + q] = fma(queryTile[i * HEAD_VEC + c], keyValue, scoreParts[k * QUERIES_PER_THREAD + q]);
                dpParts[k * QUERIES_PER_THREAD + q] = fma(dOutputTile[i * HEAD_VEC + c], valueValue, dpParts[k * QUERIES_PER_THREAD + q]);
              }
            }
          }
          for (var k = 0; k < KEYS_PER_THREAD; k++) {
            let key = slot + 16 * k;
            for (var q = 0; q < QUERIES_PER_THREAD; q++) {
              let i = quarter * QUERIES_PER_THREAD + q;
              let s4 = scoreParts[k * QUERIES_PER_THREAD + q];
              let dp4 = dpParts[k * QUERIES_PER_THREAD + q];
              let valid = start + i < tokens && firstKey + key < tokens;
              let p = select(0.0, exp(s4.x + s4.y + s4.z + s4.w - lseTile[i]), valid);
              pTile[i * KEYS + key] = p;
              dsTile[i * KEYS + key] = p * (dp4.x + dp4.y + dp4.z + dp4.w - rowDotTile[i]);
            }
          }
          workgroupBarrier();

          // Phase B: dV += P^T dO, dK += dS^T Q for keys slot + 16 k, columns quarter + 4 r.
          for (var i = 0; i < QUERIES; i++) {
            for (var r = 0; r < COLUMNS_PER_THREAD; r++) {
              let c = quarter + 4 * r;
              let queryValue = queryTile[i * HEAD_VEC + c];
              let dOutputValue = dOutputTile[i * HEAD_VEC + c];
              for (var k = 0; k < KEYS_PER_THREAD; k++) {
                let key = slot + 16 * k;
                dv[k * COLUMNS_PER_THREAD + r] = fma(vec4<f32>(pTile[i * KEYS + key]), dOutputValue, dv[k * COLUMNS_PER_THREAD + r]);
                dk[k * COLUMNS_PER_THREAD + r] = fma(vec4<f32>(dsTile[i * KEYS + key]), queryValue, dk[k * COLUMNS_PER_THREAD + r]);
              }
            }
          }
          workgroupBarrier();
        }

        // dV goes out as is; dK through the transposed RoPE, which pairs columns of other
        // threads: stage dK in keysT (no longer read) first.
        for (var k = 0; k < KEYS_PER_THREAD; k++) {
          let key = slot + 16 * k;
          for (var r = 0; r < COLUMNS_PER_THREAD; r++) {
            let c = quarter + 4 * r;
            keysT[c * KEYS + key] = dk[k * COLUMNS_PER_THREAD + r];
            if (firstKey + key < tokens) {
              result[(b * tokens + firstKey + key) * 3 * width + 2 * width + h * HEAD_VEC + c] = dv[k * COLUMNS_PER_THREAD + r];
            }
          }
        }
        workgroupBarrier();
        for (var i = local; i < KEYS * HEAD_VEC; i += 64) {
          let key = i / HEAD_VEC;
          let c = i % HEAD_VEC;
          if (firstKey + key < tokens) {
            let partner = select(c + HALF_VEC, c - HALF_VEC, c >= HALF_VEC);
            let n = firstKey + key;
            result[(b * tokens + n) * 3 * width + width + h * HEAD_VEC + c] =
                ropeTransposed(keysT[c * KEYS + key], keysT[partner * KEYS + key], n, c);
          }
        }
      }
    `;
  }
}

/** The geometry and, for tests, forced tiles (default: the largest that fit the device). */
type BackwardAttrs = AttentionGeometry & { keyTile?: number; keyBlock?: KeyBlockTiles };

/** qkv, cos, sin, attention output rows, log-sum-exp [B * heads, N], dOutput -> d(qkv) [B * N, 3D]. */
export const flashAttentionBackwardKernel: WebgpuKernel<BackwardAttrs> = {
  name: 'DitFlashAttentionBackward',
  run(backend: WebgpuBackendLike, [qkv, cos, sin, attended, logSumExp, dOutput], attrs) {
    const storage = workgroupStorageBytes(backend);
    const tiles = chooseKeyBlockTiles(attrs.headDim, storage, attrs.keyBlock);
    const keyTile = chooseKeyTile(attrs.headDim, storage, attrs.keyTile, 'DitFlashAttentionBackward');
    if (!tiles || keyTile === 0) throw new Error(`DitFlashAttentionBackward: head dim ${attrs.headDim} does not fit ${storage} bytes of workgroup storage`);
    const uniforms = [
      { type: 'int32' as const, data: [attrs.tokens] },
      { type: 'int32' as const, data: [attrs.heads] },
    ];
    const rowDots = backend.runWebGPUProgram(new RowDotProgram(attrs), [attended, dOutput], 'float32', uniforms);
    const withScale = [...uniforms, { type: 'float32' as const, data: [attrs.scale] }];
    const inputs: tf.TensorInfo[] = [qkv, cos, sin, logSumExp, rowDots, dOutput];
    const out = backend.makeTensorInfo([attrs.batch * attrs.tokens, 3 * attrs.heads * attrs.headDim], 'float32');
    backend.runWebGPUProgram(new QueryGradientProgram(attrs, keyTile), inputs, 'float32', withScale, out);
    backend.runWebGPUProgram(new KeyValueGradientProgram(attrs, tiles), inputs, 'float32', withScale, out);
    backend.disposeData(rowDots.dataId);
    return out;
  },
};
