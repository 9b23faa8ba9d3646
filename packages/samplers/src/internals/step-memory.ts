import * as tf from '@tensorflow/tfjs-core';
import type { SamplerMemory } from '../types.js';

/**
 * `SamplerMemory` for the sampling loop: values set during a step are kept out of the step's
 * tidy scope; values they replace are disposed after the step ends (the step may still read
 * them), and everything is disposed when sampling ends, except the tensors the caller owns
 * (`neverDispose`, e.g. their noise) should a sampler store one of those.
 */
export class StepMemory implements SamplerMemory {
  private readonly values = new Map<string, tf.Tensor>();
  private readonly callerOwned: Set<tf.Tensor>;
  private replaced: tf.Tensor[] = [];

  constructor(options: { neverDispose?: tf.Tensor[] } = {}) {
    this.callerOwned = new Set(options.neverDispose ?? []);
  }

  get(key: string): tf.Tensor | undefined {
    return this.values.get(key);
  }

  set(key: string, tensor: tf.Tensor): void {
    const previous = this.values.get(key);
    if (previous === tensor) return;
    if (previous) this.replaced.push(previous);
    this.values.set(key, tf.keep(tensor));
  }

  holds(tensor: tf.Tensor): boolean {
    return [...this.values.values()].includes(tensor);
  }

  /** Disposes the values replaced during the step that just ended. */
  endStep(): void {
    tf.dispose(this.replaced.filter((tensor) => !this.holds(tensor) && !this.callerOwned.has(tensor)));
    this.replaced = [];
  }

  dispose(): void {
    this.endStep();
    tf.dispose([...this.values.values()].filter((tensor) => !this.callerOwned.has(tensor)));
    this.values.clear();
  }
}
