import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LATENT_NORMALIZATION_PHASES, LatentNormalization } from './index.js';

const scalingFactor = 0.13025;
const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

describe('LatentNormalization', () => {
  it('presets hold the values of SPEC section 6', () => {
    expect(LatentNormalization.forPhase({ phase: 'phase1', scalingFactor }).toJSON()).toEqual({ scalingFactor, std: 1, offset: 0 });
    expect(LatentNormalization.forPhase({ phase: 'phase2', scalingFactor }).toJSON()).toEqual({ scalingFactor, std: 1, offset: 0.3077 });
    expect(LatentNormalization.forPhase({ phase: 'phase3', scalingFactor }).toJSON()).toEqual({ scalingFactor, std: 1.1908, offset: 0.3077 });
  });

  it('phase 3: model latent = cached / 1.1908 + 0.3077, VAE z = ((x - 0.3077) * 1.1908) / 0.13025', () => {
    const latentNorm = LatentNormalization.forPhase({ phase: 'phase3', scalingFactor });
    const cached = tf.tensor1d([-1, 0, 2.5]);
    const x = latentNorm.toModel(cached);
    (x.arraySync() as number[]).forEach((value, i) => expect(value).toBeCloseTo([-1, 0, 2.5][i] / 1.1908 + 0.3077, 6));
    const z = latentNorm.toVae(x);
    (z.arraySync() as number[]).forEach((value, i) => expect(value).toBeCloseTo([-1, 0, 2.5][i] / scalingFactor, 4));
    tf.dispose([cached, x, z]);
  });

  it('every pair of maps are inverses, in every phase', () => {
    const latent = tf.randomNormal([2, 4, 3, 3], 0, 2, 'float32', 5);
    for (const phase of Object.keys(LATENT_NORMALIZATION_PHASES) as Array<keyof typeof LATENT_NORMALIZATION_PHASES>) {
      const latentNorm = LatentNormalization.forPhase({ phase, scalingFactor });
      tf.tidy(() => {
        expect(maxAbs(latentNorm.toCached(latentNorm.toModel(latent)), latent)).toBeLessThan(1e-6);
        expect(maxAbs(latentNorm.toModel(latentNorm.toCached(latent)), latent)).toBeLessThan(1e-6);
        expect(maxAbs(latentNorm.toVae(latentNorm.fromVae(latent)), latent)).toBeLessThan(1e-5);
        expect(maxAbs(latentNorm.fromVae(latentNorm.toVae(latent)), latent)).toBeLessThan(1e-6);
        expect(maxAbs(latentNorm.toVae(latentNorm.toModel(latent)), latent.div(scalingFactor))).toBeLessThan(1e-4);
      });
    }
    latent.dispose();
  });

  it('is a frozen value object with validated fields', () => {
    const latentNorm = new LatentNormalization({ scalingFactor: 0.18215 });
    expect(latentNorm.toJSON()).toEqual({ scalingFactor: 0.18215, std: 1, offset: 0 });
    expect(Object.isFrozen(latentNorm)).toBe(true);
    expect(() => new LatentNormalization({ scalingFactor: 0 })).toThrow(/scalingFactor must be a positive number/);
    expect(() => new LatentNormalization({ scalingFactor, std: -1 })).toThrow(/std must be a positive number/);
    expect(() => new LatentNormalization({ scalingFactor, offset: Number.NaN })).toThrow(/offset must be finite/);
    expect(() => LatentNormalization.forPhase({ phase: 'phase4' as never, scalingFactor })).toThrow(/phase must be one of phase1, phase2, phase3/);
  });

  it('allocates only its results', () => {
    const latentNorm = LatentNormalization.forPhase({ phase: 'phase3', scalingFactor });
    const latent = tf.ones([1, 4, 2, 2]);
    const before = tf.memory().numTensors;
    const outputs = [latentNorm.toModel(latent), latentNorm.toCached(latent), latentNorm.toVae(latent), latentNorm.fromVae(latent)];
    expect(tf.memory().numTensors).toBe(before + outputs.length);
    tf.dispose([latent, ...outputs]);
  });
});
