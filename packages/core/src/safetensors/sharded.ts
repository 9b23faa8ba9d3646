import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SafetensorsError } from './errors.js';
import type { TensorInfo } from './header.js';
import { SafetensorsFile, type TensorData, type TensorSource } from './reader.js';

/**
 * A model split over several safetensors files, described by an index such as
 * `model.safetensors.index.json`: `{ "metadata": {...}, "weight_map": { tensor: file } }`.
 * Every shard's header is read at open (small); tensor data is read on demand.
 */
export class ShardedSafetensors implements TensorSource {
  private constructor(
    readonly path: string,
    private readonly owners: Map<string, SafetensorsFile>,
    private readonly files: SafetensorsFile[],
    readonly metadata: Record<string, string>,
  ) {}

  static async open(indexPath: string): Promise<ShardedSafetensors> {
    let json: { weight_map?: Record<string, unknown>; metadata?: Record<string, unknown> };
    try {
      json = JSON.parse(await readFile(indexPath, 'utf8'));
    } catch (error) {
      throw new SafetensorsError(indexPath, `cannot read shard index: ${(error as Error).message}`);
    }
    if (!json.weight_map || typeof json.weight_map !== 'object') {
      throw new SafetensorsError(indexPath, 'shard index has no weight_map object');
    }
    const byFile = new Map<string, SafetensorsFile>();
    const owners = new Map<string, SafetensorsFile>();
    try {
      for (const [name, file] of Object.entries(json.weight_map)) {
        if (typeof file !== 'string') throw new SafetensorsError(indexPath, 'weight_map entry is not a file name', name);
        let shard = byFile.get(file);
        if (!shard) {
          shard = await SafetensorsFile.open(join(dirname(indexPath), file));
          byFile.set(file, shard);
        }
        if (!shard.has(name)) throw new SafetensorsError(shard.path, 'the shard index maps this tensor here but the shard lacks it', name);
        owners.set(name, shard);
      }
    } catch (error) {
      for (const shard of byFile.values()) await shard.close();
      throw error;
    }
    const metadata = Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, String(v)]));
    return new ShardedSafetensors(indexPath, owners, [...byFile.values()], metadata);
  }

  /** The shard file paths, in first-mention order. */
  shardPaths(): string[] {
    return this.files.map((f) => f.path);
  }

  keys(): string[] {
    return [...this.owners.keys()];
  }

  has(name: string): boolean {
    return this.owners.has(name);
  }

  private owner(name: string): SafetensorsFile {
    const shard = this.owners.get(name);
    if (!shard) throw new SafetensorsError(this.path, 'no such tensor in shard index', name);
    return shard;
  }

  info(name: string): TensorInfo {
    return this.owner(name).info(name);
  }

  read(name: string): Promise<TensorData> {
    return this.owner(name).read(name);
  }

  readRows(name: string, rows: readonly number[]): Promise<TensorData> {
    return this.owner(name).readRows(name, rows);
  }

  async close(): Promise<void> {
    for (const shard of this.files) await shard.close();
  }
}
