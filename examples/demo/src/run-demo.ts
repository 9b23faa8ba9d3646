import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCount, writeFileAtomic, writeJsonAtomic } from '@dit/core';
import { CachedDataset, cacheStatistics, encodePng, preprocess, writeSampleGrid } from '@dit/data';
import { PixelAutoencoder, T5Gemma2TextEncoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { train, validationNoise } from '@dit/train';
import type { DemoConfig } from './demo-config.js';
import { demoSchedule } from './schedule.js';

export interface DemoResult {
  backend: string;
  seconds: number;
  steps: number;
  parameters: number;
  finalDir: string;
  comparisonGrid: string;
  generated: string[];
  normalisation: { std: number; offset: number; centredOffset: number };
}

/** Runs the whole pipeline; every artefact lands in `config.outDir`. */
export async function runDemo(config: DemoConfig, info: { backend: string }): Promise<DemoResult> {
  const started = Date.now();
  const cacheDir = join(config.outDir, 'cache');
  await mkdir(config.outDir, { recursive: true });

  // 1. Captions and images to cached latents. The text encoder is a randomly initialised
  //    T5Gemma 2 ('tiny') behind the real Gemma 3 tokenizer: no download, and captions stay
  //    distinguishable. Latents are the pixels folded 4x4 into channels.
  const autoencoder = new PixelAutoencoder({ factor: config.pixelFactor });
  const textEncoder = await T5Gemma2TextEncoder.random({ config: 'tiny', seed: config.seed, maxLength: config.textLength });
  const prepared = await preprocess({
    datasetDir: config.dataDir,
    cacheDir,
    textEncoder,
    autoencoder,
    buckets: config.buckets,
    resize: 'stretch',
    seed: config.seed,
    showProgress: true,
  });
  textEncoder.dispose();
  if (!prepared.ok) throw new Error(`preprocess failed for ${prepared.failed} image(s); see ${prepared.reportPath}`);

  // 2. Dataset statistics give the phase 2/3 normalisation, as in the original.
  const stats = await cacheStatistics(cacheDir);
  const schedule = demoSchedule({ epochs: config.epochs, lrScale: config.lrScale, stats });
  await writeJsonAtomic(join(config.outDir, 'schedule.json'), schedule);

  // 3. Train a small SingleStreamDiTV2 through the three phases.
  const dataset = await CachedDataset.open({ cacheDir, inMemory: true });
  const [channels] = dataset.entries[0].latentShape;
  const [textLength, textDim] = dataset.entries[0].textShape;
  const model = new SingleStreamDiTV2({ ...config.model, inChannels: channels, textDim, textLength, seed: config.seed });
  // One validation prompt per species: the dataset numbers its 10 species in blocks of 20.
  const firstOfSpecies = dataset.entries.flatMap((entry, index) => ((Number.parseInt(entry.source, 10) - 1) % 20 === 0 ? [index] : []));
  console.log(`model: ${formatCount(model.parameterCount())} parameters; ${dataset.size} cached images; ${config.epochs} epochs`);
  const result = await train({
    model,
    dataset,
    schedule,
    outputDir: config.outDir,
    seed: config.seed,
    batchSize: config.batchSize,
    checkpointEvery: Math.max(10, Math.floor(config.epochs / 6)),
    keepLast: 2,
    validation: { autoencoder, every: config.validateEvery, entries: firstOfSpecies.slice(0, 3) },
  });
  model.dispose();
  if (result.status !== 'completed' || !result.finalDir) throw new Error(`training stopped early; resume from ${result.checkpoint}`);

  // 4. Generate every species from the final (EMA) weights, beside the training image. final/ is
  //    a pipeline folder: the model, and pipeline.json naming the parts and the normalisation.
  const pipe = await DiTPipeline.fromPretrained(result.finalDir, { textEncoder: null });
  const generatedDir = join(config.outDir, 'generated');
  const generated: string[] = [];
  const training: string[] = [];
  for (const [row, index] of firstOfSpecies.entries()) {
    const entry = await dataset.loadEntry(index);
    const [, height, width] = entry.latents.shape;
    const text = tf.tensor2d(entry.textEmbeddings.data, [textLength, textDim]);
    const noise = validationNoise({ seed: config.seed + 1000, index: row, channels, height, width });
    const { images } = await pipe.generate({ promptEmbeds: text, latents: noise, steps: config.sampleSteps, sampler: 'euler', guidanceScale: config.guidanceScale });
    tf.dispose([text, noise]);
    const path = join(generatedDir, `${dataset.entries[index].source.replace(/\.\w+$/, '')}.png`);
    await writeFileAtomic(path, await encodePng(images[0]));
    generated.push(path);
    training.push(join(config.dataDir, dataset.entries[index].source));
  }
  const parameters = pipe.model.parameterCount();
  pipe.dispose();
  const comparisonGrid = join(config.outDir, 'generated-vs-training.png');
  await writeSampleGrid(
    [
      { label: 'training', files: training },
      { label: 'generated', files: generated },
    ],
    comparisonGrid,
    { tile: 96, labelWidth: 110 },
  );
  return {
    backend: info.backend,
    seconds: (Date.now() - started) / 1000,
    steps: result.position.globalStep,
    parameters,
    finalDir: result.finalDir,
    comparisonGrid,
    generated,
    normalisation: { std: stats.suggested.std, offset: stats.suggested.offset, centredOffset: stats.suggested.centredOffset },
  };
}
