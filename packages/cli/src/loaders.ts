import { AutoencoderKL, PixelAutoencoder, T5Gemma2TextEncoder, type ImageAutoencoder, type TextEncoder } from '@dit/encoders';
import { generateBuckets, type Bucket } from '@dit/data';
import { CliError, EXIT } from './errors.js';

/**
 * Text encoder from a spec: a Hugging Face id or local folder (T5Gemma 2), or
 * `random[:preset[:seed]]` for a randomly initialised encoder with the real Gemma 3 tokenizer
 * (offline demos; the embeddings carry no meaning beyond telling captions apart).
 */
export async function loadTextEncoder(spec: string, options: { maxLength?: number } = {}): Promise<TextEncoder> {
  const random = /^random(?::([\w-]+))?(?::(\d+))?$/.exec(spec);
  if (random) {
    return T5Gemma2TextEncoder.random({ config: (random[1] ?? 'tiny') as 'tiny', seed: Number(random[2] ?? 0), maxLength: options.maxLength });
  }
  return T5Gemma2TextEncoder.fromPretrained(spec, { maxLength: options.maxLength });
}

/** Autoencoder from a spec: `pixel[:factor]` (no weights) or a Hugging Face id / local folder (AutoencoderKL). */
export async function loadAutoencoder(spec: string): Promise<ImageAutoencoder> {
  const pixel = /^pixel(?::(\d+))?$/.exec(spec);
  if (pixel) return new PixelAutoencoder({ factor: Number(pixel[1] ?? 1) });
  return AutoencoderKL.fromPretrained(spec);
}

/**
 * Buckets from a spec: `original` (512x512, 384x640, 640x384), a list `WxH,WxH,...`, or
 * `area:<pixels>[:<alignment>]` for the area-preserving generator.
 */
export function parseBuckets(spec: string): Bucket[] | undefined {
  if (spec === 'original') return undefined;
  const area = /^area:(\d+)(?::(\d+))?$/.exec(spec);
  if (area) return generateBuckets({ targetArea: Number(area[1]), alignment: area[2] ? Number(area[2]) : undefined });
  return spec.split(',').map((item) => {
    const match = /^(\d+)x(\d+)$/.exec(item.trim());
    if (!match) throw new CliError(`--buckets: '${item}' is not WIDTHxHEIGHT (or use 'original' / 'area:262144')`, EXIT.usage);
    return { width: Number(match[1]), height: Number(match[2]) };
  });
}
