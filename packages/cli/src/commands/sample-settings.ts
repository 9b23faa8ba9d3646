import { imageSettingsToPngText, type ImageSettings } from '@dit/pipeline';
import type { SampleSource } from './sample-source.js';

/** What made an image `dit sample` wrote: @dit/pipeline's record, plus which weights of a checkpoint. */
export interface SampleSettings extends ImageSettings {
  weights: SampleSource['weights'];
  vae: string;
}

/** A PNG keyword per setting (snake_case), plus `parameters`: all of them as JSON. */
export function settingsToPngText(settings: SampleSettings): Record<string, string> {
  return imageSettingsToPngText(settings, '@dit/cli dit sample');
}
