import type { BackendCandidate } from '../backend-types.js';
import { cpuCandidate } from './cpu.js';
import { nativeCandidate } from './native.js';
import { wasmCandidate } from './wasm.js';
import { webgpuCandidate } from './webgpu.js';

/** The built-in candidates, in {@link BACKEND_ORDER}. One file per candidate beside this one. */
export const DEFAULT_CANDIDATES: readonly BackendCandidate[] = [
  nativeCandidate('node-gpu', '@tensorflow/tfjs-node-gpu'),
  webgpuCandidate,
  nativeCandidate('node', '@tensorflow/tfjs-node'),
  wasmCandidate,
  cpuCandidate,
];
