/** How many values of an array are NaN or infinite, and where the first one is. */
export interface NonFiniteCount {
  nan: number;
  positiveInfinity: number;
  negativeInfinity: number;
  /** Flat index of the first non-finite value. */
  firstIndex: number;
}

/** The non-finite values of `data`, or null when every value is finite. */
export function countNonFinite(data: Float32Array): NonFiniteCount | null {
  let firstIndex = -1;
  let nan = 0;
  let positiveInfinity = 0;
  let negativeInfinity = 0;
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    // value - value is 0 for every finite number and NaN for NaN and both infinities.
    if (value - value === 0) continue;
    if (firstIndex < 0) firstIndex = i;
    if (value === Infinity) positiveInfinity++;
    else if (value === -Infinity) negativeInfinity++;
    else nan++;
  }
  return firstIndex < 0 ? null : { nan, positiveInfinity, negativeInfinity, firstIndex };
}

/** "2 NaN and 1 +Inf of 4096 values (the first at index 7)". */
export function describeNonFiniteCount(count: NonFiniteCount, total: number): string {
  const parts = [
    count.nan ? `${count.nan} NaN` : '',
    count.positiveInfinity ? `${count.positiveInfinity} +Inf` : '',
    count.negativeInfinity ? `${count.negativeInfinity} -Inf` : '',
  ].filter(Boolean);
  return `${parts.join(' and ')} of ${total} values (the first at index ${count.firstIndex})`;
}

/**
 * What is not finite in an entry's float arrays, as one phrase ("latents hold 1 NaN of 768 values
 * (the first at index 7)"), or null when all of it is finite.
 */
export function describeNonFiniteArrays(arrays: readonly (readonly [name: string, data: Float32Array])[]): string | null {
  const problems: string[] = [];
  for (const [name, data] of arrays) {
    const count = countNonFinite(data);
    if (count) problems.push(`${name} hold ${describeNonFiniteCount(count, data.length)}`);
  }
  return problems.length ? problems.join('; ') : null;
}
