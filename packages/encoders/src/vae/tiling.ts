import * as tf from '@tensorflow/tfjs-core';

/**
 * Tiled decoding, as diffusers' `enable_tiling()`: latent tiles decoded one at a time, then
 * neighbouring tiles cross-faded over the overlap. Memory stays bounded by the tile size, but
 * each tile's GroupNorm sees only its own statistics and attention only its own pixels, so the
 * result differs slightly from an untiled decode and faint seams can show on flat regions.
 */
export interface TiledDecodeOptions {
  /** Latent tile edge. Default: the config's sample_size / downsample (SDXL: 1024 / 8 = 128). */
  tileLatentSize?: number;
  /** Fraction of a tile shared with its neighbour. Default 0.25 (diffusers' tile_overlap_factor). */
  overlap?: number;
}

export const DEFAULT_TILE_OVERLAP = 0.25;

/** Tile stride and blend widths, with diffusers' integer truncations. */
export interface TileGeometry {
  tileLatentSize: number;
  /** Latent rows/columns between tile starts. */
  latentStride: number;
  /** Pixel rows/columns cross-faded between neighbours. */
  blendExtent: number;
  /** Pixel rows/columns each tile contributes. */
  rowLimit: number;
}

export function tileGeometry(tileLatentSize: number, downsample: number, overlap: number): TileGeometry {
  if (!Number.isInteger(tileLatentSize) || tileLatentSize < 1) throw new Error(`tiled decode: tileLatentSize must be a positive integer, got ${tileLatentSize}`);
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`tiled decode: overlap must be in [0, 1), got ${overlap}`);
  const tileSampleSize = tileLatentSize * downsample;
  const latentStride = Math.floor(tileLatentSize * (1 - overlap));
  const blendExtent = Math.floor(tileSampleSize * overlap);
  const rowLimit = tileSampleSize - blendExtent;
  if (latentStride < 1 || latentStride * downsample !== rowLimit) {
    throw new Error(
      `tiled decode: tile ${tileLatentSize} with overlap ${overlap} gives a stride of ${latentStride} latents but ${rowLimit} pixels kept per tile; choose a tile size whose overlap is a whole number of latents`,
    );
  }
  return { tileLatentSize, latentStride, blendExtent, rowLimit };
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
 * latents NHWC [B, h, w, C] -> images NHWC, decoding tiles with `decodeTile` (NHWC in, NHWC
 * out, `downsample` times larger). Blending uses the already-blended upper and left tiles, as
 * diffusers' in-place loop does, so the output matches `AutoencoderKL.tiled_decode`.
 */
export function tiledDecode(latents: tf.Tensor4D, decodeTile: (tile: tf.Tensor4D) => tf.Tensor4D, geometry: TileGeometry): tf.Tensor4D {
  const [batch, height, width, channels] = latents.shape;
  const { tileLatentSize: size, latentStride, blendExtent, rowLimit } = geometry;
  const starts = (length: number) => Array.from({ length: Math.ceil(length / latentStride) }, (_, k) => k * latentStride);
  let previousRow: tf.Tensor4D[] = [];
  const croppedRows: tf.Tensor4D[] = [];
  for (const top of starts(height)) {
    const row: tf.Tensor4D[] = [];
    const croppedTiles: tf.Tensor4D[] = [];
    starts(width).forEach((left, j) => {
      const tileIn = tf.slice(latents, [0, top, left, 0], [batch, Math.min(size, height - top), Math.min(size, width - left), channels]);
      let tile = decodeTile(tileIn);
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
