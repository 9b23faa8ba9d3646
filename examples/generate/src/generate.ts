import { definedOnly, withDefaults } from '@dit/core';
import { basename, join } from 'node:path';
import { generateImages, writeSampleGrid, type GeneratedImage } from '@dit/cli';
import { EXAMPLE_DEFAULTS, ORIGINAL_PROMPT, type GenerateSettings } from './settings.js';

export interface GenerateResult {
  images: GeneratedImage[];
  /** `grid.png` in the output folder, when asked for. */
  grid: string | null;
}

/**
 * Text-to-image and cached-entry-to-image (the original's two INPUT_MODEs) through the code
 * `dit sample` runs: every image is a PNG whose text chunks hold its settings, with a .json
 * beside it. Without prompts or entries it draws the original's carnation prompt.
 */
export async function generate(settings: Partial<GenerateSettings> = {}): Promise<GenerateResult> {
  const given = definedOnly(settings);
  const options = withDefaults(EXAMPLE_DEFAULTS, given);
  // An entry brings its own size and autoencoder unless they are asked for explicitly.
  const entryMode = (options.entries?.length ?? 0) > 0 && !options.prompts?.length;
  const prompts = options.prompts?.length || entryMode ? options.prompts : [ORIGINAL_PROMPT];
  const images = await generateImages({
    ...options,
    prompts,
    vae: entryMode ? given.vae : options.vae,
    width: entryMode ? given.width : options.width,
    height: entryMode ? given.height : options.height,
  });
  if (!options.grid || images.length === 0) return { images, grid: null };
  const rows = new Map<string, string[]>();
  for (const image of images) {
    const label = image.settings.entry ? basename(image.settings.entry) : `${image.settings.prompt.slice(0, 14)}...`;
    rows.set(label, [...(rows.get(label) ?? []), image.path]);
  }
  const grid = join(options.outDir, 'grid.png');
  await writeSampleGrid([...rows].map(([label, files]) => ({ label, files })), grid, { tile: 96, labelWidth: 150 });
  return { images, grid };
}
