import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsError } from './errors.js';
import { torchFilesNote } from './foreign-formats.js';
import { SafetensorsFile, type TensorData, type TensorSource } from './reader.js';
import { ShardedSafetensors } from './sharded.js';

/**
 * Opens a safetensors source: a `.safetensors` file, a `*.safetensors.index.json` shard index,
 * or a folder holding exactly one of those (an index wins over single files).
 */
export async function openSafetensors(path: string): Promise<TensorSource> {
  if (!existsSync(path)) throw new SafetensorsError(path, 'no such file or folder');
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
    if (indexes.length === 1) return ShardedSafetensors.open(join(path, indexes[0]));
    const files = names.filter((n) => n.endsWith('.safetensors'));
    if (indexes.length === 0 && files.length === 1) return SafetensorsFile.open(join(path, files[0]));
    const torch = indexes.length === 0 && files.length === 0 ? torchFilesNote(names) : undefined;
    if (torch) throw new SafetensorsError(path, `no .safetensors file, only ${torch}`);
    throw new SafetensorsError(
      path,
      `expected one .safetensors file or one .safetensors.index.json in the folder, found ${files.length} files and ${indexes.length} indexes`,
    );
  }
  if (path.endsWith('.json')) return ShardedSafetensors.open(path);
  return SafetensorsFile.open(path);
}

/** Reads every tensor of a source into memory (small files: configs, optimiser states, fixtures). */
export async function readAllTensors(path: string): Promise<{ tensors: Map<string, TensorData>; metadata: Record<string, string> }> {
  const source = await openSafetensors(path);
  try {
    const tensors = new Map<string, TensorData>();
    for (const name of source.keys()) tensors.set(name, await source.read(name));
    return { tensors, metadata: source.metadata };
  } finally {
    await source.close();
  }
}
