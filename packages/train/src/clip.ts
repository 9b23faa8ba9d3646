import * as tf from '@tensorflow/tfjs-core';

export interface ClipGradNormOptions {
  /** Largest allowed global L2 norm of all gradients together. The original used 1.0. */
  maxNorm: number;
}

export interface ClipGradNormResult {
  /** Global L2 norm of the gradients before clipping (NaN or Infinity when any gradient is not finite). */
  totalNorm: number;
  /** Factor the gradients were multiplied by: min(1, maxNorm / (totalNorm + 1e-6)); 1 when not finite. */
  scale: number;
}

/**
 * Clips gradients by their global norm, in place, as `torch.nn.utils.clip_grad_norm_`:
 * total = sqrt(sum of squares of every element), coefficient = maxNorm / (total + 1e-6) clamped
 * to 1. Entries of `grads` are replaced by scaled tensors (the old ones are disposed). When the
 * norm is not finite the gradients are left as they are, so the caller can skip the step; PyTorch
 * would instead fill them with NaN.
 */
export async function clipGradNorm(grads: Map<string, tf.Tensor>, options: ClipGradNormOptions): Promise<ClipGradNormResult> {
  const { maxNorm } = options;
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`maxNorm must be a finite number > 0, got ${maxNorm}`);
  const totalNorm = await globalNorm([...grads.values()]);
  if (!Number.isFinite(totalNorm)) return { totalNorm, scale: 1 };
  const scale = Math.min(1, maxNorm / (totalNorm + 1e-6));
  if (scale < 1) {
    for (const [name, grad] of grads) {
      grads.set(name, tf.tidy(() => tf.mul(grad, scale)));
      grad.dispose();
    }
  }
  return { totalNorm, scale };
}

/** sqrt of the sum of squares of every element of every tensor, downloaded as a number. */
export async function globalNorm(tensors: readonly tf.Tensor[]): Promise<number> {
  if (tensors.length === 0) return 0;
  const norm = tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))));
  const [value] = await norm.data();
  norm.dispose();
  return value;
}
