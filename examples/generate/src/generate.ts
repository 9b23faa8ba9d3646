import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { definedOnly, withDefaults, writeFileAtomic, writeJsonAtomic } from '@dit/core';
import { addPngText, encodePng, readCacheEntry, readCacheEntryHeader, writeSampleGrid, type RgbImage } from '@dit/data';
import { autoencoderSpecFromId, DiTPipeline, imageFileSlug, imageSettingsToPngText, type GeneratedImageInfo, type ImageSettings } from '@dit/pipeline';
import { EXAMPLE_DEFAULTS, ORIGINAL_PROMPT, type GenerateSettings } from './settings.js';

export interface GeneratedFile {
  path: string;
  settings: ImageSettings;
}

export interface GenerateResult {
  images: GeneratedFile[];
  /** `grid.png` in the output folder, when asked for. */
  grid: string | null;
}

/** One prompt or cache entry to draw: how to condition `pipe.generate`. */
interface Job {
  name: string;
  prompt: string;
  entry: string | null;
  /** `prompt` (text mode) or `promptEmbeds` (file mode) and the size. */
  options: { prompt?: string; promptEmbeds?: tf.Tensor; negativePrompt?: string; width?: number; height?: number };
}

/**
 * Text-to-image and cached-entry-to-image (the original's two INPUT_MODEs) with `DiTPipeline`:
 * every image is a PNG whose text chunks hold its settings, with a .json beside it. Without
 * prompts or entries it draws the original's carnation prompt.
 */
export async function generate(settings: GenerateSettings): Promise<GenerateResult> {
  const given = definedOnly(settings);
  const options = withDefaults(EXAMPLE_DEFAULTS, given);
  const entries = options.entries ?? [];
  // An entry brings its own size and its own (zero) unconditional text.
  const entryMode = entries.length > 0 && !options.prompts?.length;
  const prompts = options.prompts?.length ? options.prompts : entryMode ? [] : [ORIGINAL_PROMPT];
  const folder = existsSync(join(options.model, 'final')) ? join(options.model, 'final') : options.model;
  // Entries decode with the autoencoder that made them, unless another is asked for.
  const vae = options.vae ?? (entries.length > 0 ? autoencoderSpecFromId((await readCacheEntryHeader(entries[0])).metadata.autoencoder) : undefined);
  const pipe = await DiTPipeline.fromPretrained(folder, {
    textEncoder: prompts.length > 0 ? options.textEncoder : null,
    autoencoder: vae,
    latentNormalization: { std: options.latentStd, offset: options.latentOffset },
    sampling: { steps: options.steps, sampler: options.sampler, guidanceScale: options.cfg, shift: options.shift },
  });
  const jobs: Job[] = prompts.map((prompt) => ({ name: imageFileSlug(prompt), prompt, entry: null, options: { prompt, negativePrompt: options.negativePrompt, width: options.width, height: options.height } }));
  const files: GeneratedFile[] = [];
  try {
    for (const path of entries) {
      const entry = await readCacheEntry(path);
      const [, height, width] = entry.latents.shape;
      const downsample = pipe.autoencoder!.downsample;
      const size = entryMode ? { width: given.width ?? width * downsample, height: given.height ?? height * downsample } : { width: options.width, height: options.height };
      const promptEmbeds = tf.tensor2d(entry.textEmbeddings.data, entry.textEmbeddings.shape as [number, number]);
      jobs.push({ name: imageFileSlug(basename(path, '.safetensors')), prompt: entry.metadata.caption, entry: path, options: { promptEmbeds, ...size } });
    }
    for (const [index, job] of jobs.entries()) {
      const write = async ({ image, seed }: GeneratedImageInfo) => {
        const imageSettings = describe(pipe, folder, job, image, seed!);
        const path = join(options.outDir, `${String(index).padStart(3, '0')}-${job.name}-seed${seed}.png`);
        await writeFileAtomic(path, addPngText(await encodePng(image), imageSettingsToPngText(imageSettings), path));
        await writeJsonAtomic(path.replace(/\.png$/, '.json'), imageSettings);
        files.push({ path, settings: imageSettings });
        options.onImage?.({ path, settings: imageSettings });
      };
      await pipe.generate({ ...job.options, seed: options.seed, numImagesPerPrompt: options.batch, onImage: write });
    }
  } finally {
    tf.dispose(jobs.flatMap((job) => (job.options.promptEmbeds ? [job.options.promptEmbeds] : [])));
    pipe.dispose();
  }
  if (!options.grid || files.length === 0) return { images: files, grid: null };
  const rows = new Map<string, string[]>();
  for (const { path, settings: s } of files) {
    const label = s.entry ? basename(s.entry) : `${s.prompt.slice(0, 14)}...`;
    rows.set(label, [...(rows.get(label) ?? []), path]);
  }
  const grid = join(options.outDir, 'grid.png');
  await writeSampleGrid([...rows].map(([label, row]) => ({ label, files: row })), grid, { tile: 96, labelWidth: 150 });
  return { images: files, grid };
}

/** The settings of one image: the job's, the pipeline's for the rest. */
function describe(pipe: DiTPipeline, folder: string, job: Job, image: RgbImage, seed: number): ImageSettings {
  return {
    prompt: job.prompt,
    negativePrompt: job.entry === null ? (job.options.negativePrompt ?? null) : null,
    entry: job.entry,
    seed,
    steps: pipe.sampling.steps,
    sampler: pipe.sampling.sampler,
    cfg: pipe.sampling.guidanceScale,
    shift: pipe.sampling.shift,
    model: folder,
    width: image.width,
    height: image.height,
    latentStd: pipe.latentNormalization.std,
    latentOffset: pipe.latentNormalization.offset,
    textEncoder: job.entry === null ? pipe.sources.textEncoder : null,
    vae: pipe.sources.autoencoder,
  };
}
