import { describe, expect, it } from 'vitest';
import { resizeChange, resizeWarnings, RESIZE_WARNING_DEFAULTS } from './resize-warnings.js';

const source = (width: number, height: number) => ({ file: 'x.png', path: '/d/x.png', width, height });

describe('resize warnings', () => {
  it('measures the upscale, the stretch of the aspect ratio and the cropped fraction', () => {
    expect(resizeChange({ width: 8, height: 8 }, { width: 32, height: 32 }, 'stretch')).toEqual({ upscale: 4, aspectDistortion: 1, cropFraction: 0 });
    const panorama = resizeChange({ width: 1000, height: 10 }, { width: 640, height: 384 }, 'stretch');
    expect(panorama.aspectDistortion).toBeCloseTo(60, 10); // 100:1 into 5:3
    expect(panorama.upscale).toBeCloseTo(38.4, 10);
    const cropped = resizeChange({ width: 1000, height: 10 }, { width: 640, height: 384 }, 'crop');
    expect(cropped.cropFraction).toBeCloseTo(1 - 1 / 60, 10);
    expect(cropped.aspectDistortion).toBe(1);
    // An ordinary 4:3 photo with the original's buckets stays under the defaults.
    expect(resizeWarnings(source(1024, 768), { width: 512, height: 512 }, 'stretch', RESIZE_WARNING_DEFAULTS)).toEqual([]);
    expect(resizeWarnings(source(1024, 768), { width: 640, height: 384 }, 'crop', RESIZE_WARNING_DEFAULTS)).toEqual([]);
  });

  it('warns with the factor, above typed thresholds', () => {
    const [upscaled] = resizeWarnings(source(8, 8), { width: 32, height: 32 }, 'stretch', RESIZE_WARNING_DEFAULTS);
    expect(upscaled).toEqual({
      source: 'x.png',
      kind: 'upscaled',
      factor: 4,
      message: '/d/x.png: 8x8 -> 32x32 enlarges it 4.00x (warning above 2x): the cached image is mostly interpolation',
    });
    expect(resizeWarnings(source(8, 8), { width: 32, height: 32 }, 'stretch', { ...RESIZE_WARNING_DEFAULTS, maxUpscale: 4 })).toEqual([]);
    const stretched = resizeWarnings(source(1000, 10), { width: 640, height: 384 }, 'stretch', RESIZE_WARNING_DEFAULTS);
    expect(stretched.map((w) => w.kind)).toEqual(['upscaled', 'aspect-distorted']);
    expect(stretched[1].message).toBe(
      "/d/x.png: 1000x10 -> 640x384 stretches its aspect ratio 60x (warning above 1.5x); no bucket is near its shape (resize 'crop' cuts instead, or add a bucket)",
    );
    const cropped = resizeWarnings(source(1000, 10), { width: 640, height: 384 }, 'crop', RESIZE_WARNING_DEFAULTS);
    expect(cropped.map((w) => [w.kind, w.factor.toFixed(3)])).toEqual([
      ['upscaled', '38.400'],
      ['cropped', '0.983'],
    ]);
    expect(cropped[1].message).toMatch(/crops away 98% of it \(warning above 33%\)/);
  });
});
