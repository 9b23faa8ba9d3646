import type { TensorData, TensorToWrite } from '@dit/core';
import type { NamedTensors } from '../types.js';

/** The optimisers @dit/train implements. */
export type OptimizerKind = 'adamw' | 'adamw-8bit';

/** What an optimiser records in `state.json` beside its tensors in `optimizer.safetensors`. */
export interface OptimizerMeta {
  kind: OptimizerKind;
  /** Hyper-parameters the state was built with (betas, eps, weight decay, block size...). */
  options: Record<string, unknown>;
  /** Update count per parameter (PyTorch keeps one per parameter too). */
  steps: Record<string, number>;
}

/** An optimiser's state, ready to be written: tensors for safetensors plus JSON metadata. */
export interface OptimizerSnapshot {
  tensors: Record<string, TensorToWrite>;
  meta: OptimizerMeta;
}

/**
 * Updates a fixed set of named variables from gradients. The learning rate comes with every
 * call because the schedule, not the optimiser, owns it.
 */
export interface Optimizer {
  readonly kind: OptimizerKind;
  /**
   * One update with learning rate `lr` for every variable that has a gradient in `grads`. Await
   * it: an optimiser whose state lives in JavaScript (8-bit AdamW) reads the gradients back
   * asynchronously (a GPU backend such as WebGPU under Node has no synchronous read).
   */
  apply(grads: NamedTensors, lr: number): void | Promise<void>;
  /** Copies the state out (moments downloaded from the backend). */
  snapshot(): Promise<OptimizerSnapshot>;
  /** Replaces the state with one read back from a checkpoint. */
  restore(tensors: ReadonlyMap<string, TensorData>, meta: OptimizerMeta): void;
  /** Forgets all moments and step counts, as a freshly built optimiser would have. */
  reset(): void;
  /** Bytes of state held now (moments, scales). */
  stateBytes(): number;
  dispose(): void;
}

export function checkLearningRate(lr: number): void {
  if (!Number.isFinite(lr) || lr < 0) throw new Error(`lr must be a finite number >= 0, got ${lr}`);
}
