import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendCandidate } from '../backend-types.js';
import { installTfjsNodeUtilShim } from './node-util-shim.js';
import { packageDir } from './package-dir.js';

/** tfjs-node keeps its addon in lib/napi-v<N>/tfjs_binding.node, written by its install script. */
export function nativeBindingPath(dir: string): string | undefined {
  const lib = join(dir, 'lib');
  if (!existsSync(lib)) return undefined;
  const sub = readdirSync(lib).find((name) => existsSync(join(lib, name, 'tfjs_binding.node')));
  return sub === undefined ? undefined : join(lib, sub, 'tfjs_binding.node');
}

/** `node` (tfjs-node, libtensorflow on the CPU) or `node-gpu` (tfjs-node-gpu, libtensorflow with CUDA). */
export function nativeCandidate(name: 'node-gpu' | 'node', pkg: string): BackendCandidate {
  return {
    name,
    tfjsName: 'tensorflow',
    probe() {
      const dir = packageDir(pkg);
      if (!dir) return { available: false, reason: `${pkg} is not installed` };
      if (!nativeBindingPath(dir)) {
        return {
          available: false,
          reason: `${pkg} is installed but its native library is missing (its install script did not run or could not download libtensorflow)`,
        };
      }
      return { available: true };
    },
    async activate() {
      // tfjs-node 4.22 calls util functions Node 23 removed: without them its first op throws.
      installTfjsNodeUtilShim();
      await import(/* @vite-ignore */ pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not initialise`);
    },
  };
}
