import sharp from 'sharp';
import type { Bucket } from './buckets.js';
import { checkRgbImage, type RgbImage } from './image-io.js';

/**
 * How an image meets its bucket. 'stretch' resizes to exactly the bucket, changing the aspect
 * ratio slightly (the original's first version); 'crop' scales to cover the bucket and cuts the
 * centre (its later version), keeping proportions at the cost of the edges.
 */
export type ResizeMode = 'stretch' | 'crop';

export interface ResizeToBucketOptions {
  bucket: Bucket;
  /** Default 'stretch', as the original. */
  mode?: ResizeMode;
}

/** Resizes with Lanczos-3 (the original used PIL's LANCZOS) to exactly the bucket's size. */
export async function resizeToBucket(image: RgbImage, options: ResizeToBucketOptions): Promise<RgbImage> {
  checkRgbImage(image, 'resizeToBucket');
  const { width, height } = options.bucket;
  const mode = options.mode ?? 'stretch';
  if (mode !== 'stretch' && mode !== 'crop') throw new Error(`resizeToBucket: unknown mode '${mode}' (use 'stretch' or 'crop')`);
  if (image.width === width && image.height === height) return { width, height, data: image.data.slice() };
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: mode === 'stretch' ? 'fill' : 'cover', position: 'centre', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`resizeToBucket: expected ${width}x${height}x3, sharp returned ${info.width}x${info.height}x${info.channels}`);
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Mirror image (left-right), as torchvision's `hflip`. */
export function flipHorizontal(image: RgbImage): RgbImage {
  checkRgbImage(image, 'flipHorizontal');
  const { width, height } = image;
  const out = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const from = row + x * 3;
      const to = row + (width - 1 - x) * 3;
      out[to] = image.data[from];
      out[to + 1] = image.data[from + 1];
      out[to + 2] = image.data[from + 2];
    }
  }
  return { width, height, data: out };
}
