import { readFile } from 'node:fs/promises';
import { bucketKey, discoverPairs, imageSize, nearestBucket, type Bucket } from '@dit/data';

export interface BucketCount {
  bucket: Bucket;
  images: number;
}

export interface DatasetScan {
  dir: string;
  /** Images found (with or without a caption). */
  images: number;
  /** Images without a caption file: preprocessing reports and skips them. */
  uncaptioned: number;
  /** Captioned images per bucket, in the buckets' order. */
  perBucket: BucketCount[];
}

/**
 * Which bucket each captioned image would go to, from the image headers alone (no decoding, no
 * encoders): what the dry run needs to count steps.
 */
export async function scanDataset(dir: string, buckets: readonly Bucket[]): Promise<DatasetScan> {
  const pairs = await discoverPairs({ datasetDir: dir });
  if (pairs.length === 0) throw new Error(`dataset ${dir}: no images (png, jpg, jpeg, webp)`);
  const counts = new Map(buckets.map((bucket) => [bucketKey(bucket), 0]));
  let uncaptioned = 0;
  for (const pair of pairs) {
    if (pair.captionPath === null) {
      uncaptioned++;
      continue;
    }
    const { width, height } = await imageSize(await readFile(pair.imagePath), { name: pair.imagePath });
    const key = bucketKey(nearestBucket(buckets, width, height));
    counts.set(key, counts.get(key)! + 1);
  }
  return { dir, images: pairs.length, uncaptioned, perBucket: buckets.map((bucket) => ({ bucket, images: counts.get(bucketKey(bucket))! })) };
}

/** Full batches an epoch: batches never mix buckets and incomplete ones are dropped (SPEC section 5). */
export function stepsPerEpoch(perBucket: readonly BucketCount[], batchSize: number, copies = 1): number {
  return perBucket.reduce((steps, { images }) => steps + Math.floor((images * copies) / batchSize), 0);
}
