import { withDefaults } from '@dit/core';
/** A training resolution in pixels. */
export interface Bucket {
  readonly width: number;
  readonly height: number;
}

/** The original's three buckets: square, portrait (~3:5) and landscape (~5:3). */
export const DEFAULT_BUCKETS: readonly Bucket[] = [
  { width: 512, height: 512 },
  { width: 384, height: 640 },
  { width: 640, height: 384 },
];

/** `'<width>x<height>'`, the name a bucket goes by in manifests, reports and samplers. */
export function bucketKey(bucket: Bucket): string {
  return `${bucket.width}x${bucket.height}`;
}

export function parseBucketKey(key: string): Bucket {
  const match = /^(\d+)x(\d+)$/.exec(key);
  if (!match) throw new Error(`bucket key '${key}' is not of the form <width>x<height>`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/**
 * The bucket whose aspect ratio (width / height) is closest to the image's. Distances are
 * compared as plain differences and ties go to the earlier bucket, as the original's
 * `min(BUCKETS, key=lambda b: abs(b[0]/b[1] - w/h))` does.
 */
export function nearestBucket(buckets: readonly Bucket[], width: number, height: number): Bucket {
  if (buckets.length === 0) throw new Error('nearestBucket: the bucket list is empty');
  if (!(width > 0 && height > 0)) throw new Error(`nearestBucket: image size ${width}x${height} is not positive`);
  const aspect = width / height;
  let best = buckets[0];
  let bestDistance = Math.abs(best.width / best.height - aspect);
  for (const bucket of buckets.slice(1)) {
    const distance = Math.abs(bucket.width / bucket.height - aspect);
    if (distance < bestDistance) {
      best = bucket;
      bestDistance = distance;
    }
  }
  return best;
}

export interface ValidateBucketsOptions {
  /** The autoencoder's spatial reduction (8 for the SDXL VAE). */
  downsample: number;
  /** The DiT's patch size in latent pixels. Default 2 (SPEC section 2). */
  patchSize?: number;
}

/**
 * Throws unless every bucket is a positive integer size divisible by downsample x patchSize,
 * so that latents patchify without remainder. Duplicates are rejected too.
 */
export function validateBuckets(buckets: readonly Bucket[], options: ValidateBucketsOptions): void {
  const patchSize = options.patchSize ?? 2;
  const divisor = options.downsample * patchSize;
  if (buckets.length === 0) throw new Error('buckets: the list is empty');
  const seen = new Set<string>();
  for (const bucket of buckets) {
    const key = bucketKey(bucket);
    for (const side of ['width', 'height'] as const) {
      const value = bucket[side];
      if (!Number.isInteger(value) || value <= 0) throw new Error(`bucket ${key}: ${side} must be a positive integer`);
      if (value % divisor !== 0) {
        throw new Error(
          `bucket ${key}: ${side} ${value} is not divisible by ${divisor} (autoencoder downsample ${options.downsample} x patch size ${patchSize})`,
        );
      }
    }
    if (seen.has(key)) throw new Error(`bucket ${key} is listed twice`);
    seen.add(key);
  }
}

export interface GenerateBucketsOptions {
  /** Pixel area every bucket approximates. Default 512 * 512. */
  targetArea?: number;
  /** Widths and heights are multiples of this. Default 64. */
  alignment?: number;
  /** Narrowest aspect ratio (width / height) kept. Default 0.5. */
  minAspect?: number;
  /** Widest aspect ratio kept. Default 2. */
  maxAspect?: number;
  /**
   * Aspect ratios to build buckets for, as the later original's `generate_buckets` did
   * (e.g. [1, 4/3, 3/4]). Default: every aligned width whose bucket falls in the aspect range.
   */
  aspectRatios?: readonly number[];
}

export const GENERATE_BUCKETS_DEFAULTS = {
  targetArea: 512 * 512,
  alignment: 64,
  minAspect: 0.5,
  maxAspect: 2,
} as const;

/**
 * Area-preserving buckets: each is about `targetArea` pixels with sides that are multiples of
 * `alignment`. Returned narrowest first, without duplicates.
 */
export function generateBuckets(options: GenerateBucketsOptions = {}): Bucket[] {
  const { targetArea, alignment, minAspect, maxAspect } = withDefaults(GENERATE_BUCKETS_DEFAULTS, options);
  if (!(targetArea > 0)) throw new Error(`generateBuckets: targetArea must be positive, got ${targetArea}`);
  if (!Number.isInteger(alignment) || alignment <= 0) throw new Error(`generateBuckets: alignment must be a positive integer, got ${alignment}`);
  if (!(minAspect > 0 && minAspect <= maxAspect)) {
    throw new Error(`generateBuckets: need 0 < minAspect <= maxAspect, got ${minAspect} and ${maxAspect}`);
  }
  const areaError = (bucket: Bucket) => Math.abs(bucket.width * bucket.height - targetArea);
  const align = (value: number) => Math.max(alignment, Math.round(value / alignment) * alignment);
  const candidates: Bucket[] = [];
  if (options.aspectRatios) {
    for (const ratio of options.aspectRatios) {
      if (!(ratio > 0)) throw new Error(`generateBuckets: aspect ratio ${ratio} is not positive`);
      candidates.push({ width: align(Math.sqrt(targetArea * ratio)), height: align(Math.sqrt(targetArea / ratio)) });
    }
  } else {
    const widest = Math.sqrt(targetArea * maxAspect) + alignment;
    for (let width = alignment; width <= widest; width += alignment) {
      const bucket = { width, height: align(targetArea / width) };
      const aspect = bucket.width / bucket.height;
      // A little slack so ratios like 2.0 survive the rounding to the alignment.
      if (aspect < minAspect * 0.97 || aspect > maxAspect * 1.03) continue;
      // Rounding can map neighbouring widths to one height: keep the one nearest the target area.
      const previous = candidates.at(-1);
      if (previous?.height === bucket.height) {
        if (areaError(bucket) < areaError(previous)) candidates[candidates.length - 1] = bucket;
      } else {
        candidates.push(bucket);
      }
    }
  }
  const unique = new Map(candidates.map((bucket) => [bucketKey(bucket), bucket]));
  return [...unique.values()].sort((a, b) => a.width / a.height - b.width / b.height);
}
