/**
 * An integer count for people: exact digits with thousands separators, and the power of two
 * when it is one beyond 2^53 ("1,152,921,504,606,846,976 (2^60)"). `Number.toLocaleString` and
 * `String` keep 17 significant digits, so 2^60 would read 1152921504606847000; a number past
 * 2^53 is printed as the exact integer it holds (compute such counts as bigint to keep them exact).
 */
export function formatCount(value: number | bigint): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toLocaleString('en-US');
  const exact = BigInt(value);
  const digits = exact.toLocaleString('en-US');
  const magnitude = exact < 0n ? -exact : exact;
  if (magnitude <= BigInt(Number.MAX_SAFE_INTEGER) || (magnitude & (magnitude - 1n)) !== 0n) return digits;
  return `${digits} (${exact < 0n ? '-' : ''}2^${magnitude.toString(2).length - 1})`;
}
