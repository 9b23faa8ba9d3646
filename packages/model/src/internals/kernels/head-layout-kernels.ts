import type { FusedKernel, KernelAttrs } from './registry.js';

/**
 * The attention heads' layouts as single-pass loops (wasm and cpu; see registry.ts). Rows are
 * tokens of [B * N, ...], sample-major; head group g = sample * heads + head; a head's slice of a
 * row is the columns head * headDim .. (head + 1) * headDim. attention/head-layouts.ts calls
 * these, with tfjs-op fallbacks that give the same results elsewhere.
 */

export type HeadAttrs = { batch: number; heads: number; scale: number };

const repeat = (count: number, shape: number[]) => Array.from({ length: count }, () => shape);

/**
 * qkv [B * N, 3D] and the RoPE tables [N, headDim] -> per head: queries rotated and multiplied by
 * `scale` [N, headDim], keys rotated and transposed [headDim, N], values [N, headDim].
 */
export const qkvToHeadsKernel: FusedKernel<HeadAttrs> = {
  name: 'DitQkvToHeads',
  outputShapes([, cos], { batch, heads }) {
    const [tokens, headDim] = cos;
    const groups = batch * heads;
    return [...repeat(groups, [tokens, headDim]), ...repeat(groups, [headDim, tokens]), ...repeat(groups, [tokens, headDim])];
  },
  compute([qkv, cos, sin], outputs, [, tableShape], { batch, heads, scale }) {
    const [tokens, headDim] = tableShape;
    const half = headDim / 2;
    const width = heads * headDim;
    const groups = batch * heads;
    for (let sample = 0; sample < batch; sample++) {
      for (let token = 0; token < tokens; token++) {
        const row = (sample * tokens + token) * 3 * width;
        const table = token * headDim;
        for (let head = 0; head < heads; head++) {
          const group = sample * heads + head;
          const queries = outputs[group];
          const keysT = outputs[groups + group];
          const values = outputs[2 * groups + group];
          const queryAt = row + head * headDim;
          const keyAt = queryAt + width;
          const valueAt = queryAt + 2 * width;
          const out = token * headDim;
          // Split-half rotation (SPEC section 2): concat(x1 cos - x2 sin, x2 cos + x1 sin).
          for (let j = 0; j < half; j++) {
            const cos1 = cos[table + j];
            const sin1 = sin[table + j];
            const cos2 = cos[table + half + j];
            const sin2 = sin[table + half + j];
            const query1 = qkv[queryAt + j];
            const query2 = qkv[queryAt + half + j];
            queries[out + j] = scale * (query1 * cos1 - query2 * sin1);
            queries[out + half + j] = scale * (query2 * cos2 + query1 * sin2);
            const key1 = qkv[keyAt + j];
            const key2 = qkv[keyAt + half + j];
            keysT[j * tokens + token] = key1 * cos1 - key2 * sin1;
            keysT[(half + j) * tokens + token] = key2 * cos2 + key1 * sin2;
          }
          for (let j = 0; j < headDim; j++) values[out + j] = qkv[valueAt + j];
        }
      }
    }
  },
};

/** Per head [N, headDim] -> rows [B * N, heads * headDim]. */
export const headsToRowsKernel: FusedKernel<KernelAttrs> = {
  name: 'DitHeadsToRows',
  outputShapes: (shapes, { batch, heads }) => [[batch * shapes[0][0], heads * shapes[0][1]]],
  compute(inputs, [out], shapes, { batch, heads }) {
    const [tokens, headDim] = shapes[0];
    const width = heads * headDim;
    for (let sample = 0; sample < batch; sample++) {
      for (let head = 0; head < heads; head++) {
        const perHead = inputs[sample * heads + head];
        for (let token = 0; token < tokens; token++) {
          const to = (sample * tokens + token) * width + head * headDim;
          const from = token * headDim;
          for (let j = 0; j < headDim; j++) out[to + j] = perHead[from + j];
        }
      }
    }
  },
};

/** Rows [B * N, heads * headDim] -> per head [N, headDim] and, after those, each transposed [headDim, N]. */
export const rowsToHeadsKernel: FusedKernel<KernelAttrs> = {
  name: 'DitRowsToHeads',
  outputShapes([[rows, width]], { batch, heads }) {
    const tokens = rows / batch;
    const headDim = width / heads;
    return [...repeat(batch * heads, [tokens, headDim]), ...repeat(batch * heads, [headDim, tokens])];
  },
  compute([source], outputs, [[rows, width]], { batch, heads }) {
    const tokens = rows / batch;
    const headDim = width / heads;
    const groups = batch * heads;
    for (let sample = 0; sample < batch; sample++) {
      for (let token = 0; token < tokens; token++) {
        const row = (sample * tokens + token) * width;
        for (let head = 0; head < heads; head++) {
          const group = sample * heads + head;
          const plain = outputs[group];
          const transposed = outputs[groups + group];
          const from = row + head * headDim;
          for (let j = 0; j < headDim; j++) {
            const value = source[from + j];
            plain[token * headDim + j] = value;
            transposed[j * tokens + token] = value;
          }
        }
      }
    }
  },
};

/**
 * The transpose of qkvToHeadsKernel: per-head gradients of the scaled rotated queries
 * [N, headDim], of the rotated transposed keys [headDim, N] and of the values transposed
 * [headDim, N], then the RoPE tables -> d(qkv) [B * N, 3D].
 */
export const headsToQkvGradientKernel: FusedKernel<HeadAttrs> = {
  name: 'DitHeadsToQkvGradient',
  outputShapes(shapes, { batch, heads }) {
    const [tokens, headDim] = shapes[0];
    return [[batch * tokens, 3 * heads * headDim]];
  },
  compute(inputs, [out], shapes, { batch, heads, scale }) {
    const groups = batch * heads;
    const [tokens, headDim] = shapes[0];
    const cos = inputs[3 * groups];
    const sin = inputs[3 * groups + 1];
    const half = headDim / 2;
    const width = heads * headDim;
    for (let sample = 0; sample < batch; sample++) {
      for (let token = 0; token < tokens; token++) {
        const row = (sample * tokens + token) * 3 * width;
        const table = token * headDim;
        for (let head = 0; head < heads; head++) {
          const group = sample * heads + head;
          const dQueries = inputs[group];
          const dKeysT = inputs[groups + group];
          const dValuesT = inputs[2 * groups + group];
          const queryAt = row + head * headDim;
          const keyAt = queryAt + width;
          const valueAt = queryAt + 2 * width;
          const at = token * headDim;
          // The transposed rotation (rotation by minus the angles): dx1 = dy1 cos1 + dy2 sin2, dx2 = dy2 cos2 - dy1 sin1.
          for (let j = 0; j < half; j++) {
            const cos1 = cos[table + j];
            const sin1 = sin[table + j];
            const cos2 = cos[table + half + j];
            const sin2 = sin[table + half + j];
            const dQuery1 = dQueries[at + j];
            const dQuery2 = dQueries[at + half + j];
            out[queryAt + j] = scale * (dQuery1 * cos1 + dQuery2 * sin2);
            out[queryAt + half + j] = scale * (dQuery2 * cos2 - dQuery1 * sin1);
            const dKey1 = dKeysT[j * tokens + token];
            const dKey2 = dKeysT[(half + j) * tokens + token];
            out[keyAt + j] = dKey1 * cos1 + dKey2 * sin2;
            out[keyAt + half + j] = dKey2 * cos2 - dKey1 * sin1;
          }
          for (let j = 0; j < headDim; j++) out[valueAt + j] = dValuesT[j * tokens + token];
        }
      }
    }
  },
};
