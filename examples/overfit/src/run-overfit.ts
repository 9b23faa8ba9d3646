import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCount, writeFileAtomic } from '@dit/core';
import { decodeImage, encodePng, imagesToTensor, nearestBucket, resizeToBucket, writeSampleGrid } from '@dit/data';
import { PixelAutoencoder, T5Gemma2TextEncoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { overfit } from '@dit/train';
import type { OverfitConfig } from './overfit-config.js';

export interface OverfitRun {
  caption: string;
  losses: number[];
  /** Mean loss over the first and the last tenth of the steps. */
  firstLoss: number;
  finalLoss: number;
  /** Mean squared difference between the drawn sample and the image's latents. */
  sampleError: number;
  files: { original: string; reconstruction: string; comparison: string; losses: string };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The original's train_overfit.py: train a fresh model on one image and its caption until it
 * can draw that image from noise. A pipeline that cannot do this has a bug; one that can is
 * worth a real run.
 */
export async function runOverfit(config: OverfitConfig, log: (line: string) => void = console.log): Promise<OverfitRun> {
  const caption = (await readFile(config.image.replace(/\.\w+$/, '.txt'), 'utf8')).trim();
  const source = await decodeImage(await readFile(config.image), { name: config.image });
  const image = await resizeToBucket(source, { bucket: nearestBucket(config.buckets, source.width, source.height) });
  log(`target: ${config.image} (${source.width}x${source.height}) as ${image.width}x${image.height}: "${caption.slice(0, 70)}..."`);

  // Latents: the pixels in [-1, 1], folded into channels. Text: a random tiny T5Gemma 2.
  const autoencoder = new PixelAutoencoder({ factor: config.pixelFactor });
  const pixels = imagesToTensor([image]);
  const batched = await autoencoder.encode(pixels);
  const latents = tf.squeeze<tf.Tensor3D>(batched, [0]);
  tf.dispose([pixels, batched]);
  const textEncoder = await T5Gemma2TextEncoder.random({ config: 'tiny', seed: config.seed, maxLength: config.textLength });
  const encoded = await textEncoder.encode([caption]);
  textEncoder.dispose();
  const text = tf.squeeze<tf.Tensor2D>(encoded.embeddings, [0]);
  tf.dispose([encoded.embeddings, encoded.attentionMask]);

  const model = new SingleStreamDiTV2({ ...config.model, inChannels: latents.shape[0], textDim: text.shape[1], textLength: text.shape[0], seed: config.seed });
  log(`model: ${formatCount(model.parameterCount())} parameters; ${config.steps} steps at lr ${config.lr}, ${config.batchSize} copies a step`);
  try {
    const result = await overfit({
      model,
      entry: { latents, text },
      steps: config.steps,
      lr: config.lr,
      batchSize: config.batchSize,
      seed: config.seed,
      sampling: { steps: config.sampleSteps, sampler: 'euler', guidanceScale: config.guidanceScale },
      onStep: ({ step, loss }) => {
        if (step === 1 || step % config.printEvery === 0 || step === config.steps) log(`step ${String(step).padStart(5)}  loss ${loss.toFixed(4)}`);
      },
    });
    // The pipeline's decode stage: the latents are the pixels themselves, so no normalisation to undo.
    const [reconstruction] = await new DiTPipeline({ model, autoencoder }).decode(result.sample).finally(() => result.sample.dispose());

    const files = {
      original: join(config.outDir, 'original.png'),
      reconstruction: join(config.outDir, 'reconstruction.png'),
      comparison: join(config.outDir, 'comparison.png'),
      losses: join(config.outDir, 'losses.csv'),
    };
    await writeFileAtomic(files.original, await encodePng(image));
    await writeFileAtomic(files.reconstruction, await encodePng(reconstruction));
    await writeSampleGrid([{ label: 'original | drawn', files: [files.original, files.reconstruction] }], files.comparison, { tile: 160, labelWidth: 150 });
    await writeFileAtomic(files.losses, ['step,loss', ...result.losses.map((loss, i) => `${i + 1},${loss}`)].join('\n') + '\n');
    const tenth = Math.max(1, Math.floor(result.losses.length / 10));
    return { caption, losses: result.losses, firstLoss: mean(result.losses.slice(0, tenth)), finalLoss: result.finalLoss, sampleError: result.sampleError, files };
  } finally {
    model.dispose();
    tf.dispose([latents, text]);
  }
}
