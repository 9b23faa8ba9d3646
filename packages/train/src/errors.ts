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
      /** Checkpoint holding the last good state, from which training can resume. */
      checkpoint: string;
    },
  ) {
    super(message);
    this.name = 'NonFiniteError';
  }
}
