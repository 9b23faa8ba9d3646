import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng, imageSize } from './image-io.js';
import { imagesToTensor, tensorToImage } from './pixels.js';
import { flipHorizontal, resizeToBucket } from './resize.js';
import { FIXTURE_DIR } from './test-utils/fixtures.js';

const pixel = (image: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

describe('decodeImage', () => {
  it('decodes the RGBA PNG, JPEG and WebP fixtures to RGB', async () => {
    for (const [file, width, height] of [['5.png', 54, 96], ['2.jpg', 72, 96], ['14.webp', 63, 96]] as const) {
      const image = await decodeImage(await readFile(join(FIXTURE_DIR, file)));
      expect([image.width, image.height, image.data.length]).toEqual([width, height, width * height * 3]);
    }
  });

  it("drops alpha as PIL convert('RGB') does, or flattens on white or black", async () => {
    // Fully transparent red pixels: PIL keeps the red, flattening shows the background.
    const rgba = await sharp(Buffer.from([255, 0, 0, 0, 0, 0, 255, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    expect(pixel(await decodeImage(rgba), 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(await decodeImage(rgba, { alpha: 'white' }), 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(await decodeImage(rgba, { alpha: 'black' }), 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(await decodeImage(rgba, { alpha: 'white' }), 1, 0)).toEqual([0, 0, 255]);
  });

  it('turns grey images into three equal channels', async () => {
    const grey = await sharp(Buffer.from([10, 200]), { raw: { width: 2, height: 1, channels: 1 } }).png().toBuffer();
    const image = await decodeImage(grey);
    expect(pixel(image, 0, 0)).toEqual([10, 10, 10]);
    expect(pixel(image, 1, 0)).toEqual([200, 200, 200]);
  });

  it('names the file when bytes are not an image', async () => {
    await expect(decodeImage(new TextEncoder().encode('not a png'), { name: 'bad.png' })).rejects.toThrow(/^bad\.png: cannot decode image/);
    await expect(imageSize(new TextEncoder().encode('not a png'), { name: 'bad.png' })).rejects.toThrow(/^bad\.png: cannot read image/);
  });

  it('applies EXIF orientation unless told not to', async () => {
    const rotated = await sharp({ create: { width: 6, height: 4, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await imageSize(rotated)).toEqual({ width: 4, height: 6, frames: 1 });
    expect(await imageSize(rotated, { autoOrient: false })).toEqual({ width: 6, height: 4, frames: 1 });
    const image = await decodeImage(rotated);
    expect([image.width, image.height]).toEqual([4, 6]);
  });
});

describe('resizeToBucket', () => {
  // 40x20: red left quarter, blue middle half, green right quarter
  const bands = {
    width: 40,
    height: 20,
    data: Uint8Array.from({ length: 40 * 20 * 3 }, (_, i) => {
      const x = Math.floor(i / 3) % 40;
      const colour = x < 10 ? [255, 0, 0] : x < 30 ? [0, 0, 255] : [0, 255, 0];
      return colour[i % 3];
    }),
  };

  it('stretch keeps the whole picture, crop keeps the centre', async () => {
    const stretched = await resizeToBucket(bands, { bucket: { width: 20, height: 20 }, mode: 'stretch' });
    const cropped = await resizeToBucket(bands, { bucket: { width: 20, height: 20 }, mode: 'crop' });
    expect([stretched.width, stretched.height, cropped.width, cropped.height]).toEqual([20, 20, 20, 20]);
    expect(pixel(stretched, 0, 10)).toEqual([255, 0, 0]);
    expect(pixel(stretched, 19, 10)).toEqual([0, 255, 0]);
    expect(pixel(cropped, 0, 10)).toEqual([0, 0, 255]);
    expect(pixel(cropped, 19, 10)).toEqual([0, 0, 255]);
  });

  it('gives exactly the bucket size for portrait and landscape fixtures in both modes', async () => {
    const portrait = await decodeImage(await readFile(join(FIXTURE_DIR, '5.png')));
    const landscape = await decodeImage(await readFile(join(FIXTURE_DIR, '29.png')));
    for (const mode of ['stretch', 'crop'] as const) {
      for (const [image, bucket] of [[portrait, { width: 48, height: 80 }], [landscape, { width: 80, height: 48 }], [portrait, { width: 64, height: 64 }]] as const) {
        const out = await resizeToBucket(image, { bucket, mode });
        expect([out.width, out.height, out.data.length]).toEqual([bucket.width, bucket.height, bucket.width * bucket.height * 3]);
      }
    }
    await expect(resizeToBucket(portrait, { bucket: { width: 8, height: 8 }, mode: 'squash' as never })).rejects.toThrow(/unknown mode 'squash'/);
  });
});

it('flipHorizontal mirrors columns and is its own inverse', () => {
  const image = { width: 3, height: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
  expect(Array.from(flipHorizontal(image).data)).toEqual([7, 8, 9, 4, 5, 6, 1, 2, 3]);
  expect(flipHorizontal(flipHorizontal(image))).toEqual(image);
});

it('imagesToTensor scales to [-1, 1] in [B, 3, H, W] and tensorToImage inverts it', async () => {
  const a = { width: 2, height: 1, data: Uint8Array.from([0, 255, 51, 255, 0, 102]) };
  const before = tf.memory().numTensors;
  const batch = imagesToTensor([a, a]);
  expect(batch.shape).toEqual([2, 3, 1, 2]);
  const values = batch.arraySync();
  expect(values[1][0][0]).toEqual([-1, 1]); // red channel of both pixels
  expect(values[0][2][0][0]).toBeCloseTo(51 / 127.5 - 1, 6);
  const unit = tf.tidy(() => tf.add(tf.div(tf.slice(batch, [0, 0, 0, 0], [1, 3, 1, 2]), 2), 0.5));
  expect(await tensorToImage(unit)).toEqual(a);
  tf.dispose([batch, unit]);
  expect(tf.memory().numTensors).toBe(before);
  expect(() => imagesToTensor([a, { width: 1, height: 2, data: new Uint8Array(6) }])).toThrow(/image 1 is 1x2, image 0 is 2x1/);
});

it('encodePng writes a PNG sharp reads back unchanged', async () => {
  const image = { width: 2, height: 2, data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) };
  const { data, info } = await sharp(await encodePng(image)).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([2, 2, 3]);
  expect(Array.from(data)).toEqual(Array.from(image.data));
});
