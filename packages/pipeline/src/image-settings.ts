/**
 * What made a generated image, as `dit sample` and examples/generate record it: in the PNG's
 * text chunks and in a .json beside it, so that an image can be made again.
 */
export interface ImageSettings {
  prompt: string;
  negativePrompt: string | null;
  /** The cache entry sampled from, in entry mode. */
  entry: string | null;
  seed: number;
  steps: number;
  sampler: string;
  cfg: number;
  shift: number;
  /** The weights (file or folder) sampled with. */
  model: string;
  width: number;
  height: number;
  latentStd: number;
  latentOffset: number;
  textEncoder: string | null;
  vae: string | null;
}

/**
 * PNG text chunks for an image's settings: `Software` first when given, a keyword per setting
 * (snake_case: `text_encoder`; null ones left out), then `parameters`, all of them as JSON.
 */
export function imageSettingsToPngText(settings: ImageSettings, software?: string): Record<string, string> {
  const text: Record<string, string> = software === undefined ? {} : { Software: software };
  for (const [key, value] of Object.entries(settings)) {
    if (value !== null) text[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = String(value);
  }
  text.parameters = JSON.stringify(settings);
  return text;
}

/** A file-name-safe piece of a prompt or entry name, for the images' file names. */
export function imageFileSlug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '') || 'image';
}
