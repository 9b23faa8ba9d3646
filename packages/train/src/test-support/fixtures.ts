import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, type TensorData } from '@dit/core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in packages/train/fixtures. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

export async function readFixtureTensors(name: string): Promise<{ tensors: Map<string, TensorData>; metadata: Record<string, string> }> {
  return readAllTensors(fixturePath(name));
}

export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Named variables from fixture tensors; names are given a unique prefix so tfjs accepts them. */
export function variablesFrom(entries: [string, TensorData][]): Map<string, tf.Variable> {
  const tag = Math.random().toString(36).slice(2);
  return new Map(
    entries.map(([name, data]) => {
      const initial = tf.tensor(data.data, data.shape);
      const variable = tf.variable(initial, true, `${tag}/${name}`);
      initial.dispose();
      return [name, variable];
    }),
  );
}
