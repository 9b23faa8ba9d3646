import { describe, expect, it } from 'vitest';
import { bucketKey, DEFAULT_BUCKETS, generateBuckets, nearestBucket, parseBucketKey, validateBuckets } from './buckets.js';

describe('nearestBucket', () => {
  it('sends portrait, landscape and square images to the original buckets', () => {
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 288, 512))).toBe('384x640');
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 384, 512))).toBe('384x640');
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 512, 336))).toBe('640x384');
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 512, 288))).toBe('640x384');
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 512, 512))).toBe('512x512');
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 416, 512))).toBe('512x512');
  });

  it('breaks the 4:3 tie between square and landscape as Python min() does: first bucket', () => {
    // |640/384 - 4/3| and |1 - 4/3| are equal on paper; in floats the square one is smaller.
    expect(bucketKey(nearestBucket(DEFAULT_BUCKETS, 512, 384))).toBe('512x512');
    expect(bucketKey(nearestBucket([{ width: 640, height: 384 }, { width: 512, height: 512 }], 1000, 1000))).toBe('512x512');
  });

  it('rejects an empty list and a degenerate image', () => {
    expect(() => nearestBucket([], 10, 10)).toThrow(/empty/);
    expect(() => nearestBucket(DEFAULT_BUCKETS, 0, 10)).toThrow(/0x10 is not positive/);
  });
});

describe('validateBuckets', () => {
  it('accepts the defaults for an 8x VAE and patch 2', () => {
    expect(() => validateBuckets(DEFAULT_BUCKETS, { downsample: 8, patchSize: 2 })).not.toThrow();
  });

  it('names the bucket, side and divisor at fault', () => {
    expect(() => validateBuckets([{ width: 500, height: 512 }], { downsample: 8 })).toThrow(
      'bucket 500x512: width 500 is not divisible by 16 (autoencoder downsample 8 x patch size 2)',
    );
    expect(() => validateBuckets([{ width: 512, height: 520 }], { downsample: 8, patchSize: 1 })).not.toThrow();
    expect(() => validateBuckets([{ width: 512, height: 520 }], { downsample: 16, patchSize: 1 })).toThrow(/height 520 is not divisible by 16/);
    expect(() => validateBuckets([{ width: 64, height: 64 }, { width: 64, height: 64 }], { downsample: 8 })).toThrow(/64x64 is listed twice/);
    expect(() => validateBuckets([], { downsample: 8 })).toThrow(/empty/);
  });
});

describe('generateBuckets', () => {
  it('reproduces the later original generate_buckets(512, stride=32)', () => {
    const buckets = generateBuckets({ targetArea: 512 * 512, alignment: 32, aspectRatios: [1.0, 1.333, 0.75] });
    expect(buckets.map(bucketKey)).toEqual(['448x576', '512x512', '576x448']);
  });

  it('enumerates aligned, area-preserving buckets across the aspect range', () => {
    const buckets = generateBuckets();
    expect(buckets.map(bucketKey)).toContain('512x512');
    for (const { width, height } of buckets) {
      expect(width % 64).toBe(0);
      expect(height % 64).toBe(0);
      expect(Math.abs(width * height - 512 * 512) / (512 * 512)).toBeLessThan(0.15);
      expect(width / height).toBeGreaterThanOrEqual(0.5 * 0.97);
      expect(width / height).toBeLessThanOrEqual(2 * 1.03);
    }
    const aspects = buckets.map((b) => b.width / b.height);
    expect(aspects).toEqual([...aspects].sort((a, b) => a - b));
    expect(new Set(buckets.map((b) => b.height)).size).toBe(buckets.length);
    // symmetric: every portrait bucket has its landscape twin
    for (const b of buckets) expect(buckets.map(bucketKey)).toContain(`${b.height}x${b.width}`);
  });

  it('rejects bad options', () => {
    expect(() => generateBuckets({ alignment: 0 })).toThrow(/alignment/);
    expect(() => generateBuckets({ minAspect: 2, maxAspect: 1 })).toThrow(/minAspect/);
  });
});

it('bucket keys round-trip', () => {
  expect(parseBucketKey('384x640')).toEqual({ width: 384, height: 640 });
  expect(() => parseBucketKey('384-640')).toThrow(/not of the form/);
});
