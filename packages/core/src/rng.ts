import * as tf from '@tensorflow/tfjs-core';

/** Serialisable generator state, for checkpoints and exact resume. */
export interface RngState {
  /** xoshiro128** state words. */
  s: [number, number, number, number];
  /** A cached second Box-Muller normal, or null. */
  spareNormal: number | null;
}

/** 32-bit FNV-1a, used to turn labels into seed material. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** splitmix32: spreads one seed over the four state words. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * Seeded random numbers (xoshiro128**). Every random draw in @dit - initialisation, noise,
 * timesteps, shuffles, dropout - goes through one of these, so one seed reproduces a run.
 * `fork(label)` derives an independent stream per purpose, so adding draws in one place
 * does not shift the numbers another place sees.
 */
export class Rng {
  private s: [number, number, number, number];
  private spareNormal: number | null = null;

  constructor(seed: number | string = 0) {
    const base = typeof seed === 'string' ? hashString(seed) : seed;
    if (!Number.isFinite(base)) throw new Error(`Rng seed must be a finite number or a string, got ${seed}`);
    const mix = splitmix32((base >>> 0) ^ Math.floor(base / 2 ** 32));
    this.s = [mix(), mix(), mix(), mix()];
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  getState(): RngState {
    return { s: [...this.s], spareNormal: this.spareNormal };
  }

  setState(state: RngState): void {
    if (!Array.isArray(state?.s) || state.s.length !== 4 || !state.s.every((w) => Number.isInteger(w))) {
      throw new Error(`invalid RngState: ${JSON.stringify(state)}`);
    }
    this.s = [state.s[0] >>> 0, state.s[1] >>> 0, state.s[2] >>> 0, state.s[3] >>> 0];
    this.spareNormal = state.spareNormal ?? null;
  }

  /** An independent generator derived from this one's current state and a label. */
  fork(label: string): Rng {
    const child = new Rng(hashString(label) ^ this.s[0] ^ rotl(this.s[2], 7));
    return child;
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    s[0] >>>= 0; s[1] >>>= 0; s[2] >>>= 0; s[3] >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  normalArray(length: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  uniformArray(length: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A float32 tensor of standard normals. */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(shape.reduce((a, b) => a * b, 1), mean, std), shape, 'float32');
  }

  /** A float32 tensor uniform in [low, high). */
  uniformTensor(shape: number[], low = 0, high = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(shape.reduce((a, b) => a * b, 1), low, high), shape, 'float32');
  }
}

/** Accepts a seed or a generator: the form public options take. */
export type RngLike = number | string | Rng;

export function toRng(seedOrRng: RngLike | undefined, fallbackSeed = 0): Rng {
  if (seedOrRng instanceof Rng) return seedOrRng;
  return new Rng(seedOrRng ?? fallbackSeed);
}
