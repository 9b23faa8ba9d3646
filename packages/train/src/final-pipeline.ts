import type { ImageAutoencoder } from '@dit/encoders';
import { autoencoderSpecFromId, textEncoderSpecFromId, writePipelineIndex, type PipelineIndex, type SamplingDefaults } from '@dit/pipeline';
import type { TrainingDataset } from './dataset.js';
import type { Phase } from './phases.js';

/**
 * What the trainer records beside its final model (`<outputDir>/final/pipeline.json`), so that
 * `DiTPipeline.fromPretrained(finalDir)` and `dit sample --model <run>` need nothing else.
 */
export interface FinalPipelineOptions {
  /** A `loadTextEncoder` spec, or null for none. Default: the cache's text encoder (its manifest), else null. */
  textEncoder?: string | null;
  /** A `loadAutoencoder` spec, or null for none. Default: the cache's autoencoder, else the validation autoencoder's id, else null. */
  autoencoder?: string | null;
  /** Sampling defaults. Default the original's (RK4, 50 steps, CFG 1.5) at the dataset's most common image size. */
  sampling?: Partial<SamplingDefaults>;
}

/** The image size most entries have, in pixels, when the autoencoder's downsampling is known. */
function commonSize(dataset: TrainingDataset, downsample: number | undefined): { width: number; height: number } | undefined {
  if (downsample === undefined || dataset.entries.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const { latentShape } of dataset.entries) counts.set(`${latentShape[2]}x${latentShape[1]}`, (counts.get(`${latentShape[2]}x${latentShape[1]}`) ?? 0) + 1);
  const [key] = [...counts].sort((a, b) => b[1] - a[1])[0];
  const [width, height] = key.split('x').map(Number);
  return { width: width * downsample, height: height * downsample };
}

/**
 * Writes pipeline.json into the final model folder: the parts the run was trained with, the
 * latent normalisation of its last phase (which the final weights were trained under) and
 * sampling defaults.
 */
export function writeFinalPipeline(options: {
  dir: string;
  dataset: TrainingDataset;
  schedule: readonly Phase[];
  autoencoder?: ImageAutoencoder;
  pipeline?: FinalPipelineOptions;
}): Promise<PipelineIndex> {
  const { dataset, schedule, autoencoder } = options;
  const settings = dataset.manifest?.settings;
  const given = options.pipeline ?? {};
  const lastPhase = schedule[schedule.length - 1];
  return writePipelineIndex(options.dir, {
    textEncoder: given.textEncoder !== undefined ? given.textEncoder : settings ? textEncoderSpecFromId(settings.textEncoder) : null,
    autoencoder: given.autoencoder !== undefined ? given.autoencoder : settings ? autoencoderSpecFromId(settings.autoencoder) : autoencoder ? autoencoderSpecFromId(autoencoder.id) : null,
    latentNormalization: { std: lastPhase.latentNorm?.std, offset: lastPhase.latentNorm?.offset },
    sampling: { ...commonSize(dataset, settings?.downsample ?? autoencoder?.downsample), ...given.sampling },
  });
}
