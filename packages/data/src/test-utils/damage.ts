import { readCacheEntry, writeCacheEntry } from '../cache-entry.js';

/** Rewrites a cache entry with `value` (NaN, Infinity...) at `index` of one of its float tensors: a damaged entry for tests. */
export async function poisonEntry(path: string, tensor: 'latents' | 'textEmbeddings', value: number, index = 0): Promise<void> {
  const entry = await readCacheEntry(path);
  entry[tensor].data[index] = value;
  await writeCacheEntry(path, entry);
}

/** Rewrites a cache entry with latents of another shape (one row fewer): an entry that no longer matches its manifest line. */
export async function reshapeEntry(path: string): Promise<void> {
  const entry = await readCacheEntry(path);
  const [channels, height, width] = entry.latents.shape;
  entry.latents = { shape: [channels, height - 1, width], data: new Float32Array(channels * (height - 1) * width) };
  await writeCacheEntry(path, entry);
}
