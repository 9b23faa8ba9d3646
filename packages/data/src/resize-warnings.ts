import type { Bucket } from './buckets.js';
import type { PreprocessWarning } from './report.js';
import type { ResizeMode } from './resize.js';

/** When an image's trip to its bucket is worth a warning in the preprocess report. */
export interface ResizeWarningThresholds {
  /**
   * Warn when an image is enlarged by more than this factor on either side (the bucket's side
   * over the image's, after cropping in 'crop' mode): detail that is not there gets invented
   * by the resize. Default 2.
   */
  maxUpscale?: number;
  /**
   * 'stretch' only: warn when the aspect ratio changes by more than this factor, the larger of
   * (bucket aspect / image aspect) and its inverse. 1.5 leaves ordinary photos alone (a 4:3
   * photo goes to 1:1 or 5:3 with the original's buckets, a change of at most 1.29). Default 1.5.
   */
  maxAspectDistortion?: number;
  /** 'crop' only: warn when more than this fraction of the image is cut away. Default 1/3 (the crop that matches a distortion of 1.5). */
  maxCropFraction?: number;
}

export const RESIZE_WARNING_DEFAULTS = { maxUpscale: 2, maxAspectDistortion: 1.5, maxCropFraction: 1 / 3 } as const satisfies Required<ResizeWarningThresholds>;

/** How far an image is from its bucket: what the resize does to it. */
export interface ResizeChange {
  /** Largest enlargement of a side (< 1: the image is shrunk). */
  upscale: number;
  /** 'stretch': max(bucket aspect / image aspect, its inverse), 1 when the shapes match; 'crop': 1. */
  aspectDistortion: number;
  /** 'crop': the fraction of the image's area cut away; 'stretch': 0. */
  cropFraction: number;
}

export function resizeChange(size: { width: number; height: number }, bucket: Bucket, mode: ResizeMode): ResizeChange {
  const scaleX = bucket.width / size.width;
  const scaleY = bucket.height / size.height;
  const ratio = bucket.width / bucket.height / (size.width / size.height);
  if (mode === 'stretch') return { upscale: Math.max(scaleX, scaleY), aspectDistortion: Math.max(ratio, 1 / ratio), cropFraction: 0 };
  // 'crop' scales to cover the bucket (the larger scale) and cuts the rest.
  return { upscale: Math.max(scaleX, scaleY), aspectDistortion: 1, cropFraction: 1 - Math.min(ratio, 1 / ratio) };
}

const times = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}x`;

/** The warnings an image earns on its way to `bucket` under `thresholds`. */
export function resizeWarnings(
  source: { file: string; path: string; width: number; height: number },
  bucket: Bucket,
  mode: ResizeMode,
  thresholds: Required<ResizeWarningThresholds>,
): PreprocessWarning[] {
  const change = resizeChange(source, bucket, mode);
  const warnings: PreprocessWarning[] = [];
  const sizes = `${source.width}x${source.height} -> ${bucket.width}x${bucket.height}`;
  if (change.upscale > thresholds.maxUpscale) {
    warnings.push({
      source: source.file,
      kind: 'upscaled',
      factor: change.upscale,
      message: `${source.path}: ${sizes} enlarges it ${times(change.upscale)} (warning above ${thresholds.maxUpscale}x): the cached image is mostly interpolation`,
    });
  }
  if (change.aspectDistortion > thresholds.maxAspectDistortion) {
    warnings.push({
      source: source.file,
      kind: 'aspect-distorted',
      factor: change.aspectDistortion,
      message: `${source.path}: ${sizes} stretches its aspect ratio ${times(change.aspectDistortion)} (warning above ${thresholds.maxAspectDistortion}x); no bucket is near its shape (resize 'crop' cuts instead, or add a bucket)`,
    });
  }
  if (change.cropFraction > thresholds.maxCropFraction) {
    warnings.push({
      source: source.file,
      kind: 'cropped',
      factor: change.cropFraction,
      message: `${source.path}: ${sizes} crops away ${(100 * change.cropFraction).toFixed(0)}% of it (warning above ${(100 * thresholds.maxCropFraction).toFixed(0)}%); no bucket is near its shape`,
    });
  }
  return warnings;
}
