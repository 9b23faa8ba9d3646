/**
 * Count, mean and sum of squared deviations in float64, merged with Chan et al.'s parallel
 * update (a batched Welford), so millions of latent values accumulate without the
 * cancellation a naive sum of squares suffers.
 */
export class RunningMoments {
  count = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  /** Adds `values[offset + i * stride]` for i in [0, length), two-pass within the slice. */
  addStrided(values: ArrayLike<number>, offset = 0, length = values.length, stride = 1): void {
    if (length === 0) return;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0, j = offset; i < length; i++, j += stride) {
      const v = values[j];
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / length;
    let m2 = 0;
    for (let i = 0, j = offset; i < length; i++, j += stride) m2 += (values[j] - mean) ** 2;
    this.merge({ count: length, mean, m2, min, max });
  }

  merge(other: Pick<RunningMoments, 'count' | 'mean' | 'm2' | 'min' | 'max'>): void {
    if (other.count === 0) return;
    const count = this.count + other.count;
    const delta = other.mean - this.mean;
    this.mean += (delta * other.count) / count;
    this.m2 += other.m2 + (delta * delta * this.count * other.count) / count;
    this.count = count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** Unbiased (n - 1) standard deviation, as torch's `Tensor.std()`. */
  get std(): number {
    return this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : 0;
  }
}
