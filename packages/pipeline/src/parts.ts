import { AutoencoderKL, PixelAutoencoder, T5Gemma2TextEncoder, type ImageAutoencoder, type TextEncoder } from '@dit/encoders';

/**
 * A text encoder from a spec: a Hugging Face id or local folder (T5Gemma 2), or
 * `random[:preset[:seed]]` for a randomly initialised T5Gemma 2 behind the real Gemma 3
 * tokenizer (offline demos and tests; its embeddings carry no meaning beyond telling captions apart).
 */
export async function loadTextEncoder(spec: string, options: { maxLength?: number } = {}): Promise<TextEncoder> {
  const random = /^random(?::([\w-]+))?(?::(\d+))?$/.exec(spec);
  if (random) {
    return T5Gemma2TextEncoder.random({ config: (random[1] ?? 'tiny') as 'tiny', seed: Number(random[2] ?? 0), maxLength: options.maxLength });
  }
  return T5Gemma2TextEncoder.fromPretrained(spec, { maxLength: options.maxLength });
}

/** An autoencoder from a spec: `pixel[:factor]` (pixels folded into channels, no weights) or a Hugging Face id / local folder (AutoencoderKL). */
export async function loadAutoencoder(spec: string): Promise<ImageAutoencoder> {
  const pixel = /^pixel(?::(\d+))?$/.exec(spec);
  if (pixel) return new PixelAutoencoder({ factor: Number(pixel[1] ?? 1) });
  return AutoencoderKL.fromPretrained(spec);
}

/** The spec that loads a text encoder again from its id: `t5gemma2-random-tiny-seed0` -> `random:tiny:0`; other ids are hub ids or folders already. */
export function textEncoderSpecFromId(id: string): string {
  const random = /^t5gemma2-random-([\w-]+)-seed(\d+)$/.exec(id);
  return random ? `random:${random[1]}:${random[2]}` : id;
}

/** The spec that loads an autoencoder again from its id: `pixel-f4` -> `pixel:4`; other ids are hub ids or folders already. */
export function autoencoderSpecFromId(id: string): string {
  const pixel = /^pixel-f(\d+)$/.exec(id);
  return pixel ? `pixel:${pixel[1]}` : id;
}
