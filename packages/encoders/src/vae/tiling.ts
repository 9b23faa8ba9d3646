import * as tf from '@tensorflow/tfjs-core';

/**
 * Tiled encoding and decoding, as diffusers' `enable_tiling()` (`AutoencoderKL._tiled_encode`,
 * `tiled_decode`): the input is cut into overlapping tiles run one at a time, then neighbouring
 * outputs are cross-faded over the overlap. Memory stays bounded by the tile size, but each
 * tile's GroupNorm sees only its own statistics and attention only its own pixels, so the result
 * differs from an untiled pass (on the tiny test model by up to 0.8 in the posterior mean; on
 * large real images the seams are faint) and matches diffusers' tiled result instead.
 */
export interface TilingOptions {
  /** Latent tile edge (pixel tiles are this times the downsample factor). Default: the config's sample_size / downsample (SDXL: 1024 / 8 = 128). */
  tileLatentSize?: number;
  /** Fraction of a tile shared with its neighbour. Default 0.25 (diffusers' tile_overlap_factor). */
  overlap?: number;
}

/** @deprecated The same options, which now tile encoding as well: use TilingOptions. */
export type TiledDecodeOptions = TilingOptions;

export const DEFAULT_TILE_OVERLAP = 0.25;

/** How a tiled pass cuts its input and keeps its output, with diffusers' integer truncations. */
export interface TilePlan {
  /** Input tile edge (latents when decoding, pixels when encoding). */
  tileSize: number;
  /** Input rows/columns between tile starts. */
  stride: number;
  /** Output rows/columns cross-faded between neighbours. */
  blendExtent: number;
  /** Output rows/columns each tile contributes. */
  rowLimit: number;
}

/**
 * The tile plan of a pass, with diffusers' integer truncations: decoding takes latent tiles in and
 * gives pixel tiles `downsample` times larger (`tiled_decode`), encoding the reverse (`_tiled_encode`).
 */
export function tilePlan(pass: 'encode' | 'decode', tileLatentSize: number, downsample: number, overlap: number): TilePlan {
  if (!Number.isInteger(tileLatentSize) || tileLatentSize < 1) throw new Error(`tiled ${pass}: tileLatentSize must be a positive integer, got ${tileLatentSize}`);
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`tiled ${pass}: overlap must be in [0, 1), got ${overlap}`);
  const latents = { size: tileLatentSize, unit: 'latents' };
  const pixels = { size: tileLatentSize * downsample, unit: 'pixels' };
  const [input, output] = pass === 'decode' ? [latents, pixels] : [pixels, latents];
  const stride = Math.floor(input.size * (1 - overlap));
  const blendExtent = Math.floor(output.size * overlap);
  const rowLimit = output.size - blendExtent;
  // The input advanced by one stride must be the output a tile keeps, scaled by downsample.
  if (stride < 1 || stride * output.size !== rowLimit * input.size) {
    throw new Error(
      `tiled ${pass}: tile ${tileLatentSize} with overlap ${overlap} gives a stride of ${stride} ${input.unit} but ${rowLimit} ${output.unit} kept per tile; choose a tile size whose overlap is a whole number of latents`,
    );
  }
  return { tileSize: input.size, stride, blendExtent, rowLimit };
}

/** Cross-fades the end of `a` into the start of `b` along `axis` (1 rows, 2 columns); returns the new `b`. */
function blend(a: tf.Tensor4D, b: tf.Tensor4D, extent: number, axis: 1 | 2): tf.Tensor4D {
  const e = Math.min(a.shape[axis], b.shape[axis], extent);
  if (e === 0) return tf.clone(b);
  return tf.tidy(() => {
    const along = (t: tf.Tensor4D, start: number, size: number) => {
      const begin = [0, 0, 0, 0];
      const sizes = [...t.shape];
      begin[axis] = start;
      sizes[axis] = size;
      return tf.slice(t, begin, sizes);
    };
    const weightShape = [1, 1, 1, 1];
    weightShape[axis] = e;
    const ramp = tf.tensor(Array.from({ length: e }, (_, y) => y / e), weightShape);
    const mixed = tf.add(tf.mul(along(a, a.shape[axis] - e, e), tf.sub(1, ramp)), tf.mul(along(b, 0, e), ramp));
    const rest = b.shape[axis] - e;
    return (rest > 0 ? tf.concat([mixed, along(b, e, rest)], axis) : mixed) as tf.Tensor4D;
  });
}

/**
 * input NHWC [B, H, W, C] -> output NHWC, running `runTile` (NHWC in, NHWC out) on each tile of
 * `plan`. Blending uses the already-blended upper and left tiles, as diffusers' in-place loops do,
 * so the output matches `AutoencoderKL.tiled_decode` / `_tiled_encode`.
 */
export function tiledPass(input: tf.Tensor4D, runTile: (tile: tf.Tensor4D) => tf.Tensor4D, plan: TilePlan): tf.Tensor4D {
  const [batch, height, width, channels] = input.shape;
  const { tileSize: size, stride, blendExtent, rowLimit } = plan;
  const starts = (length: number) => Array.from({ length: Math.ceil(length / stride) }, (_, k) => k * stride);
  let previousRow: tf.Tensor4D[] = [];
  const croppedRows: tf.Tensor4D[] = [];
  for (const top of starts(height)) {
    const row: tf.Tensor4D[] = [];
    const croppedTiles: tf.Tensor4D[] = [];
    starts(width).forEach((left, j) => {
      const tileIn = tf.slice(input, [0, top, left, 0], [batch, Math.min(size, height - top), Math.min(size, width - left), channels]);
      let tile = runTile(tileIn);
      tileIn.dispose();
      if (previousRow.length) {
        const next = blend(previousRow[j], tile, blendExtent, 1);
        tile.dispose();
        tile = next;
      }
      if (j > 0) {
        const next = blend(row[j - 1], tile, blendExtent, 2);
        tile.dispose();
        tile = next;
      }
      row.push(tile);
      croppedTiles.push(tf.slice(tile, [0, 0, 0, 0], [batch, Math.min(rowLimit, tile.shape[1]), Math.min(rowLimit, tile.shape[2]), tile.shape[3]]));
    });
    tf.dispose(previousRow);
    previousRow = row;
    croppedRows.push(tf.concat(croppedTiles, 2));
    tf.dispose(croppedTiles);
  }
  tf.dispose(previousRow);
  const out = tf.concat(croppedRows, 1);
  tf.dispose(croppedRows);
  return out;
}
