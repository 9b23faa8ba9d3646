import * as tf from '@tensorflow/tfjs-core';
import { checkRgbImage, type RgbImage } from './image-io.js';

/**
 * Images of one size -> `[B, 3, H, W]` float32 in [-1, 1]: x / 255 then (x - 0.5) / 0.5, as the
 * original's torchvision `to_tensor` + `normalize([0.5], [0.5])`.
 */
export function imagesToTensor(images: readonly RgbImage[]): tf.Tensor4D {
  if (images.length === 0) throw new Error('imagesToTensor: no images');
  const { width, height } = images[0];
  const plane = width * height;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((image, b) => {
    checkRgbImage(image, 'imagesToTensor');
    if (image.width !== width || image.height !== height) {
      throw new Error(`imagesToTensor: image ${b} is ${image.width}x${image.height}, image 0 is ${width}x${height}`);
    }
    const base = b * 3 * plane;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) out[base + c * plane + i] = (image.data[i * 3 + c] / 255 - 0.5) / 0.5;
    }
  });
  return tf.tensor4d(out, [images.length, 3, height, width]);
}

/**
 * `[3, H, W]` values in [0, 1] (or `[1, 3, H, W]`) -> 8-bit RGB, clamping and rounding as the
 * original's `(x * 255).round().astype('uint8')`.
 */
export async function tensorToImage(image: tf.Tensor): Promise<RgbImage> {
  const shape = image.rank === 4 && image.shape[0] === 1 ? image.shape.slice(1) : image.shape;
  if (shape.length !== 3 || shape[0] !== 3) throw new Error(`tensorToImage: expected [3, H, W] or [1, 3, H, W], got [${image.shape.join(', ')}]`);
  const [, height, width] = shape;
  const values = await image.data();
  const plane = width * height;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(Math.min(1, Math.max(0, values[c * plane + i])) * 255);
  }
  return { width, height, data: out };
}
