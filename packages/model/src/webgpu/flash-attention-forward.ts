import { chooseKeyTile, headConstantsWgsl, keyValueTileWgsl, ROPE_WGSL } from './attention-wgsl.js';
import { divideRoundingUp, type WebgpuBackendLike, type WebgpuKernel, type WebgpuProgram, workgroupStorageBytes } from './program.js';

/** Attention geometry: tokens are rows b * tokens + n of the fused qkv [B * N, 3 * heads * headDim]. */
export interface AttentionGeometry {
  batch: number;
  heads: number;
  tokens: number;
  headDim: number;
  /** Multiplies q k^T (1 / sqrt(headDim) in the model). */
  scale: number;
}

/** Query rows per workgroup: one thread per query row. */
const QUERY_TILE = 64;

/**
 * Flash attention forward (Dao et al. 2022, FlashAttention-2's loop order): each workgroup owns
 * QUERY_TILE query rows of one (sample, head); each thread keeps its query row (RoPE-rotated,
 * scaled) and its output accumulator in registers, and streams the keys and values through
 * shared memory in tiles, with the online softmax (a running max and sum per row, the
 * accumulator rescaled once per tile). Nothing of size N x N exists; f32 throughout.
 *
 * Reads q, k, v straight from the fused qkv rows (RoPE applied on load) and writes the output
 * straight into rows [B * N, heads * headDim], so the head split, the rotation and the head
 * merge cost no passes of their own. With `withStats`, the per-row log-sum-exp
 * (max + log(sum)) follows the output in the same buffer, for the backward pass.
 */
class FlashAttentionForwardProgram implements WebgpuProgram {
  variableNames = ['qkv', 'cosTable', 'sinTable'];
  variableComponents = [4, 4, 4];
  outputShape: number[];
  shaderKey: string;
  // Not flat (y present), so tfjs calls main() without a global index.
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [QUERY_TILE, 1, 1];
  uniforms = 'tokens : i32, heads : i32, scale : f32, statsOffset : i32,';

  constructor(private readonly geometry: AttentionGeometry, private readonly keyTile: number, private readonly withStats: boolean) {
    const { batch, heads, tokens, headDim } = geometry;
    const rows = batch * tokens;
    const width = heads * headDim;
    this.outputShape = withStats ? [rows * width + batch * heads * tokens] : [rows * width];
    this.dispatch = [divideRoundingUp(tokens, QUERY_TILE), batch * heads, 1];
    this.shaderKey = `ditFlashAttentionForward_${headDim}_${keyTile}_${withStats}`;
  }

  getUserCode(): string {
    const { headDim } = this.geometry;
    return /* wgsl */ `
      ${headConstantsWgsl(headDim)}
      const KEY_TILE = ${this.keyTile};
      const QUERY_TILE = ${QUERY_TILE};
      // Finite, so that (max - max) never makes inf - inf.
      const LOWEST = -3.0e38;

      ${ROPE_WGSL}
      ${keyValueTileWgsl(this.keyTile, headDim)}

      fn main() {
        let tokens = uniforms.tokens;
        let group = i32(workgroupId.y);
        let b = group / uniforms.heads;
        let h = group % uniforms.heads;
        let width = uniforms.heads * HEAD_VEC;
        let local = i32(localIndex);
        let row = i32(workgroupId.x) * QUERY_TILE + local;
        // Rows past the end compute on a clamped copy (every thread must reach the barriers).
        let n = min(row, tokens - 1);
        let queryBase = (b * tokens + n) * 3 * width + h * HEAD_VEC;

        var q : array<vec4<f32>, HEAD_VEC>;
        var acc : array<vec4<f32>, HEAD_VEC>;
        for (var c = 0; c < HEAD_VEC; c++) {
          q[c] = ropeRead(queryBase, n, c) * uniforms.scale;
          acc[c] = vec4<f32>(0.0);
        }
        var runningMax = LOWEST;
        var runningSum = 0.0;

        for (var start = 0; start < tokens; start += KEY_TILE) {
          loadKeyValueTile(b, h, start);
          workgroupBarrier();

          var scores : array<f32, KEY_TILE>;
          var tileMax = runningMax;
          for (var j = 0; j < KEY_TILE; j++) {
            var dotParts = vec4<f32>(0.0);
            for (var c = 0; c < HEAD_VEC; c++) {
              dotParts = fma(q[c], keyTile[j * HEAD_VEC + c], dotParts);
            }
            let score = select(LOWEST, dotParts.x + dotParts.y + dotParts.z + dotParts.w, start + j < tokens);
            scores[j] = score;
            tileMax = max(tileMax, score);
          }
          let correction = exp(runningMax - tileMax);
          runningSum = runningSum * correction;
          for (var c = 0; c < HEAD_VEC; c++) {
            acc[c] = acc[c] * correction;
          }
          for (var j = 0; j < KEY_TILE; j++) {
            let p = exp(scores[j] - tileMax);
            runningSum = runningSum + p;
            for (var c = 0; c < HEAD_VEC; c++) {
              acc[c] = fma(vec4<f32>(p), valueTile[j * HEAD_VEC + c], acc[c]);
            }
          }
          runningMax = tileMax;
          workgroupBarrier();
        }

        if (row < tokens) {
          let inverse = 1.0 / runningSum;
          let outBase = (b * tokens + row) * width * 4 + h * HEAD_VEC * 4;
          for (var c = 0; c < HEAD_VEC; c++) {
            let value = acc[c] * inverse;
            result[outBase + 4 * c] = value.x;
            result[outBase + 4 * c + 1] = value.y;
            result[outBase + 4 * c + 2] = value.z;
            result[outBase + 4 * c + 3] = value.w;
          }
          ${this.withStats ? 'result[uniforms.statsOffset + group * tokens + row] = runningMax + log(runningSum);' : ''}
        }
      }
    `;
  }
}

export type FlashForwardAttrs = AttentionGeometry & { withStats: boolean; /** Forced key tile (tests); default the largest that fits. */ keyTile?: number };

/**
 * qkv [B * N, 3D], cos and sin [N, headDim] -> the attention output rows [B * N * D], followed
 * (withStats) by the log-sum-exp of every score row [B * heads * N], as one flat tensor.
 */
export const flashAttentionForwardKernel: WebgpuKernel<FlashForwardAttrs> = {
  name: 'DitFlashAttentionForward',
  run(backend: WebgpuBackendLike, [qkv, cos, sin], attrs) {
    const keyTile = chooseKeyTile(attrs.headDim, workgroupStorageBytes(backend), attrs.keyTile, 'DitFlashAttentionForward');
    const program = new FlashAttentionForwardProgram(attrs, keyTile, attrs.withStats);
    const statsOffset = attrs.batch * attrs.tokens * attrs.heads * attrs.headDim;
    return backend.runWebGPUProgram(program, [qkv, cos, sin], 'float32', [
      { type: 'int32', data: [attrs.tokens] },
      { type: 'int32', data: [attrs.heads] },
      { type: 'float32', data: [attrs.scale] },
      { type: 'int32', data: [statsOffset] },
    ]);
  },
};
