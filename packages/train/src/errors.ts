/** Training met a NaN or infinite loss or gradient and stopped (the `nonFinite: 'stop'` policy). */
export class NonFiniteError extends Error {
  constructor(
    message: string,
    readonly details: {
      phase: string;
      epoch: number;
      /** The step that failed (global, counted from 1). */
      step: number;
      loss: number;
      gradNorm: number;
      /** Entries of the failed batch whose latents or text embeddings hold NaN or Inf (file names for a cache, `entry <index>` otherwise); empty when all are finite. */
      inputs?: string[];
      /**
       * Checkpoint to resume from: the state before the failed step, or, when the weights
       * themselves hold NaN or Inf (no checkpoint is written then), the newest earlier one; null
       * when there is none.
       */
      checkpoint: string | null;
    },
  ) {
    super(message);
    this.name = 'NonFiniteError';
  }
}
