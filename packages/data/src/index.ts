import '@dit/core';

export {
  DEFAULT_BUCKETS,
  GENERATE_BUCKETS_DEFAULTS,
  bucketKey,
  parseBucketKey,
  nearestBucket,
  validateBuckets,
  generateBuckets,
  type Bucket,
  type GenerateBucketsOptions,
  type ValidateBucketsOptions,
} from './buckets.js';
export {
  discoverPairs,
  scanDataset,
  DISCOVER_PAIRS_DEFAULTS,
  type SourcePair,
  type DiscoverPairsOptions,
  type DatasetScan,
  type IgnoredFile,
  type IgnoredKind,
} from './discover.js';
export { readCaption, normaliseNewlines } from './caption.js';
export { decodeImage, imageSize, encodePng, DECODE_IMAGE_DEFAULTS, type RgbImage, type AlphaMode, type DecodeImageOptions } from './image-io.js';
export { resizeToBucket, flipHorizontal, type ResizeMode, type ResizeToBucketOptions } from './resize.js';
export { resizeChange, resizeWarnings, RESIZE_WARNING_DEFAULTS, type ResizeChange, type ResizeWarningThresholds } from './resize-warnings.js';
export { imagesToTensor, tensorToImage } from './pixels.js';
export { cacheSettingsKey, type CacheSettings } from './cache-settings.js';
export {
  writeCacheEntry,
  readCacheEntry,
  readCacheEntryHeader,
  readCacheLatents,
  assertEntryFinite,
  CacheEntryError,
  CACHE_ENTRY_FORMAT,
  ENTRY_TENSORS,
  type CacheEntry,
  type CacheEntryMetadata,
  type ArrayWithShape,
} from './cache-entry.js';
export { readManifest, writeManifest, MANIFEST_FILE, MANIFEST_FORMAT, type Manifest, type ManifestEntry } from './manifest.js';
export type { FlipMode } from './plan.js';
export { preprocess, PREPROCESS_DEFAULTS, type PreprocessOptions, type PreprocessProgress } from './preprocess.js';
export {
  formatPreprocessSummary,
  REPORT_FILE,
  type PreprocessResult,
  type PreprocessFailure,
  type PreprocessCounts,
  type FailureKind,
  type PreprocessWarning,
} from './report.js';
export { RunningMoments } from './moments.js';
export {
  cacheStatistics,
  formatCacheStatistics,
  type CacheStatistics,
  type CacheStatisticsOptions,
  type LatentStatistics,
  type MomentStatistics,
  type SuggestedNormalisation,
} from './statistics.js';
export type { LatentToModel, LatentTransform } from './latent-transform.js';
export { checkCache, type CheckCacheOptions, type CheckCacheResult } from './check-cache.js';
export { verifyCache, formatVerifyCache, type VerifyCacheResult, type VerifyCacheOptions, type CacheProblem } from './verify-cache.js';
export { countNonFinite, describeNonFiniteCount, describeNonFiniteArrays, type NonFiniteCount } from './finite.js';
export {
  BucketBatchSampler,
  BUCKET_BATCH_SAMPLER_DEFAULTS,
  type BucketBatchSamplerOptions,
  type BucketBatchSamplerState,
  type SampledBatch,
} from './bucket-batch-sampler.js';
export { CachedDataset, CACHED_DATASET_DEFAULTS, type CachedDatasetOptions, type LoadBatchOptions, type Batch } from './cached-dataset.js';
export { addPngText, readPngText } from './png-text.js';
export { writeSampleGrid, findEpochSamples, pickRows, type GridRow, type SampleGridOptions } from './sample-grid.js';
