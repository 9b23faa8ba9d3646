import { Rng, SafetensorsError, type TensorSource } from '@dit/core';

/**
 * Rows of a token embedding table, fetched per batch. The 1b-1b table is 262144 x 1152
 * (1.2 GB in float32), so it is never held whole: a batch reads only the rows it uses.
 */
export interface EmbeddingRows {
  readonly vocabSize: number;
  readonly dim: number;
  /** The rows of `ids`, one after another: [ids.length * dim]. */
  rows(ids: ArrayLike<number>): Promise<Float32Array>;
  /** Releases the file behind the table, if any. */
  close(): Promise<void>;
}

function checkIds(ids: ArrayLike<number>, vocabSize: number, where: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`${where}: token id ${id} at position ${i} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
}

/** Rows read straight from a safetensors tensor (F32, F16 or BF16) with `readRows`. */
export class FileEmbeddingRows implements EmbeddingRows {
  readonly vocabSize: number;
  readonly dim: number;

  /** `ownsSource`: close the source with the table. */
  constructor(
    private readonly source: TensorSource,
    readonly tensorName: string,
    private readonly ownsSource: boolean,
  ) {
    const info = source.info(tensorName);
    if (info.shape.length !== 2) throw new SafetensorsError(source.path, `embedding table must be 2-D, got [${info.shape.join(', ')}]`, tensorName);
    [this.vocabSize, this.dim] = info.shape;
  }

  async rows(ids: ArrayLike<number>): Promise<Float32Array> {
    checkIds(ids, this.vocabSize, `${this.source.path} [${this.tensorName}]`);
    const data = await this.source.readRows(this.tensorName, Array.from(ids));
    if (!(data.data instanceof Float32Array)) throw new SafetensorsError(this.source.path, `embedding table has integer dtype ${data.dtype}`, this.tensorName);
    return data.data;
  }

  async close(): Promise<void> {
    if (this.ownsSource) await this.source.close();
  }
}

/**
 * A random table that needs no memory: row i is drawn from a generator seeded with (seed, i),
 * so a full 262144-token vocabulary costs nothing until a token is used.
 */
export class SeededEmbeddingRows implements EmbeddingRows {
  constructor(
    readonly vocabSize: number,
    readonly dim: number,
    private readonly seed: number,
    private readonly std: number,
  ) {}

  row(id: number): Float32Array {
    return new Rng(`t5gemma2-embedding/${this.seed}/${id}`).normalArray(this.dim, 0, this.std);
  }

  async rows(ids: ArrayLike<number>): Promise<Float32Array> {
    checkIds(ids, this.vocabSize, 'random T5Gemma 2 embedding');
    const out = new Float32Array(ids.length * this.dim);
    const cache = new Map<number, Float32Array>();
    for (let i = 0; i < ids.length; i++) {
      let row = cache.get(ids[i]);
      if (!row) cache.set(ids[i], (row = this.row(ids[i])));
      out.set(row, i * this.dim);
    }
    return out;
  }

  async close(): Promise<void> {}
}
