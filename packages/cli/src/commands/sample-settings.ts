import type { SampleSource } from './sample-source.js';

/** What made an image: written into its PNG text chunks and the JSON beside it. */
export interface SampleSettings {
  prompt: string;
  negativePrompt: string | null;
  /** The cache entry sampled from, in entry mode. */
  entry: string | null;
  seed: number;
  steps: number;
  sampler: string;
  cfg: number;
  shift: number;
  model: string;
  weights: SampleSource['weights'];
  width: number;
  height: number;
  latentStd: number;
  latentOffset: number;
  textEncoder: string | null;
  vae: string;
}

/** A PNG keyword per setting (snake_case), plus `parameters`: all of them as JSON. */
export function settingsToPngText(settings: SampleSettings): Record<string, string> {
  const text: Record<string, string> = { Software: '@dit/cli dit sample' };
  for (const [key, value] of Object.entries(settings)) {
    if (value !== null) text[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = String(value);
  }
  text.parameters = JSON.stringify(settings);
  return text;
}

/** A file-name-safe piece of a prompt or entry name. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '') || 'image';
}
