import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors } from '@dit/core';
import { fileURLToPath } from 'node:url';

/** packages/encoders/fixtures/vae/<name> (written by tools/reference/vae_fixtures.py). */
export function vaeFixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/vae/${name}`, import.meta.url));
}

/** The inputs and diffusers outputs of `<name>.io.safetensors` as tfjs tensors. */
export async function readIo(name: string): Promise<Record<string, tf.Tensor4D>> {
  const { tensors } = await readAllTensors(vaeFixture(`${name}.io.safetensors`));
  return Object.fromEntries([...tensors].map(([key, t]) => [key, tf.tensor4d(t.data, t.shape as [number, number, number, number])]));
}

export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape [${a.shape}] vs [${b.shape}]`);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const value = (await diff.data())[0];
  diff.dispose();
  return value;
}
