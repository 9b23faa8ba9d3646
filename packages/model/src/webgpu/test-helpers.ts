// Test-only helpers (imported by *.test.ts, never by the package).

/** Largest |a - b| over the largest |b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (scale === 0) throw new Error('the reference is all zeros: nothing to compare against');
  return difference / scale;
}
