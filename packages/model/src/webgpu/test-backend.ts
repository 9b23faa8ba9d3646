// Test-only helpers (imported by *.test.ts, never by the package).
import * as tf from '@tensorflow/tfjs-core';

/**
 * Switches tfjs to the webgpu backend; returns why not when it cannot (no backend registered,
 * no adapter), for `describe.skipIf`. The caller restores the previous backend afterwards.
 */
export async function useWebgpuBackend(): Promise<string | undefined> {
  if (!tf.findBackendFactory('webgpu')) return 'the webgpu backend is not registered (no Dawn / @tensorflow/tfjs-backend-webgpu here)';
  try {
    if (!(await tf.setBackend('webgpu'))) return 'tfjs could not start the webgpu backend (no WebGPU adapter)';
  } catch (error) {
    return `tfjs could not start the webgpu backend: ${(error as Error).message}`;
  }
  return undefined;
}

/** Largest |a - b| over two arrays of the same length. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Largest |a| over an array. */
export function maxAbs(a: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}
