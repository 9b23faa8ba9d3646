/**
 * The 8-bit "dynamic" data type of bitsandbytes (Dettmers et al. 2022, "8-bit Optimizers via
 * Block-wise Quantization", section 2): 256 sorted codes in [-1, 1] (signed) or [0, 1]
 * (unsigned) whose spacing is finer near zero, like a float with a variable-length exponent.
 * Built as bitsandbytes' `create_dynamic_map(signed, max_exponent_bits = 7, total_bits = 8)`:
 * for each exponent e = 0..6, the midpoints of `linspace(0.1, 1, n_e + 1)` scaled by
 * 10^(e - 6), with n_e = 2^e (signed, mirrored for negatives) or 2^(e + 1) (unsigned), then 0
 * and 1.
 */
export function dynamicQuantileMap(options: { signed: boolean }): Float32Array {
  const { signed } = options;
  const maxExponentBits = 7;
  const values: number[] = [];
  for (let e = 0; e < maxExponentBits; e++) {
    const items = signed ? 2 ** e : 2 ** (e + 1);
    const scale = 10 ** (e - (maxExponentBits - 1));
    for (let i = 0; i < items; i++) {
      // Midpoint of the i-th interval of linspace(0.1, 1, items + 1).
      const lo = 0.1 + (0.9 * i) / items;
      const hi = 0.1 + (0.9 * (i + 1)) / items;
      const mean = (lo + hi) / 2;
      values.push(scale * mean);
      if (signed) values.push(-scale * mean);
    }
  }
  values.push(0, 1);
  while (values.length < 256) values.push(0);
  values.sort((a, b) => a - b);
  return Float32Array.from(values);
}

/** Index of the code nearest to `x` in a sorted code table (binary search, ties to the lower). */
export function nearestCode(codes: Float32Array, x: number): number {
  let lo = 0;
  let hi = codes.length - 1;
  if (x <= codes[lo]) return lo;
  if (x >= codes[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (codes[mid] <= x) lo = mid;
    else hi = mid;
  }
  return x - codes[lo] <= codes[hi] - x ? lo : hi;
}

const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

/** A 16-bit key that orders floats as their values do: the top half of the IEEE bits, sign-folded. */
function orderKey(x: number): number {
  floatView[0] = x;
  const high = bitsView[0] >>> 16;
  return high & 0x8000 ? 0x7fff - (high & 0x7fff) : 0x8000 + high;
}

/**
 * Nearest-code encoding in O(1): a 65536-entry table maps a value's order key to the last
 * code that lies in an earlier key bucket, and a short forward scan (codes are at most a few
 * per bucket) finds the neighbours. Gives the same index as {@link nearestCode}.
 */
export class CodeBook {
  private readonly start = new Uint8Array(65536);
  readonly zero: number;

  constructor(readonly codes: Float32Array) {
    let index = -1;
    for (let key = 0; key < 65536; key++) {
      while (index + 1 < codes.length && orderKey(codes[index + 1]) < key) index++;
      this.start[key] = Math.max(index, 0);
    }
    this.zero = nearestCode(codes, 0);
  }

  encode(x: number): number {
    const codes = this.codes;
    let lo = this.start[orderKey(x)];
    if (x <= codes[lo]) return lo === 0 || x - codes[lo - 1] > codes[lo] - x ? lo : lo - 1;
    const last = codes.length - 1;
    while (lo < last && codes[lo + 1] <= x) lo++;
    if (lo === last) return last;
    return x - codes[lo] <= codes[lo + 1] - x ? lo : lo + 1;
  }
}
