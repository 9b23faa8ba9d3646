import { withDefaults } from '@dit/core';
import sharp, { type Metadata } from 'sharp';

/** 8-bit RGB pixels, row-major `[H, W, 3]`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * What happens to an alpha channel. 'drop' discards it and keeps the colour stored under
 * transparent pixels, which is what the original's PIL `convert('RGB')` does; 'white' and
 * 'black' composite the image over that background instead.
 */
export type AlphaMode = 'drop' | 'white' | 'black';

export interface DecodeImageOptions {
  /** Default 'drop', as the original. */
  alpha?: AlphaMode;
  /**
   * Apply the EXIF orientation, so phone photos come out upright. Default true. (The original's
   * PIL `Image.open` ignored it; its dataset had no rotated files.)
   */
  autoOrient?: boolean;
  /** Named in error messages. */
  name?: string;
}

export const DECODE_IMAGE_DEFAULTS = { alpha: 'drop', autoOrient: true, name: 'image' } as const satisfies DecodeImageOptions;

/** Decodes PNG, JPEG, WebP, GIF, TIFF or AVIF bytes (any bit depth, grey, palette or CMYK; the first frame of an animation) to 8-bit sRGB. */
export async function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<RgbImage> {
  const { alpha, autoOrient, name } = withDefaults(DECODE_IMAGE_DEFAULTS, options);
  let pipeline = sharp(bytes);
  if (autoOrient) pipeline = pipeline.autoOrient();
  pipeline = alpha === 'drop' ? pipeline.removeAlpha() : pipeline.flatten({ background: alpha === 'white' ? '#ffffff' : '#000000' });
  try {
    const { data, info } = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw new Error(`${name}: cannot decode image: ${(error as Error).message}`);
  }
}

/**
 * Width and height from the image header alone (after EXIF orientation when asked), and the
 * number of frames (pages) of an animated GIF/WebP or multi-page TIFF, of which only the first is decoded.
 */
export async function imageSize(
  bytes: Uint8Array,
  options: Pick<DecodeImageOptions, 'autoOrient' | 'name'> = {},
): Promise<{ width: number; height: number; frames: number }> {
  const { autoOrient, name } = withDefaults(DECODE_IMAGE_DEFAULTS, options);
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes).metadata();
  } catch (error) {
    throw new Error(`${name}: cannot read image: ${(error as Error).message}`);
  }
  const size = autoOrient && metadata.autoOrient ? metadata.autoOrient : metadata;
  if (!size.width || !size.height) throw new Error(`${name}: image header has no size`);
  return { width: size.width, height: size.height, frames: metadata.pages ?? 1 };
}

/** PNG bytes of an RGB image. */
export async function encodePng(image: RgbImage): Promise<Uint8Array> {
  checkRgbImage(image, 'encodePng');
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export function checkRgbImage(image: RgbImage, where: string): void {
  const expected = image.width * image.height * 3;
  if (image.data.length !== expected) {
    throw new Error(`${where}: ${image.width}x${image.height} RGB image needs ${expected} bytes, got ${image.data.length}`);
  }
}
