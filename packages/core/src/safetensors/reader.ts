import { open, stat, type FileHandle } from 'node:fs/promises';
import { DTYPE_BYTES, decodeElements, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

/** Where one tensor lives in a safetensors file. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** A tensor read from disk: floats widen to Float32Array, integers to Int32Array. */
export interface TensorData {
  name: string;
  /** The dtype stored in the file. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Anything tensors can be read from by name: one file or a sharded set. */
export interface TensorSource {
  /** File (or index file) this source reads. */
  readonly path: string;
  readonly metadata: Record<string, string>;
  keys(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** Reads one tensor, touching only its bytes on disk. */
  read(name: string): Promise<TensorData>;
  /** Reads selected indices along axis 0 (e.g. rows of an embedding table) without reading the rest. */
  readRows(name: string, rows: readonly number[]): Promise<TensorData>;
  close(): Promise<void>;
}

/** The safetensors format caps the JSON header at 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parses and validates a header object; every error names the file and tensor. */
export function parseHeader(file: string, json: unknown, dataBytes: number): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError(file, 'header is not a JSON object');
  }
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) throw new SafetensorsError(file, '__metadata__ must be an object of strings');
      metadata = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isSafetensorsDtype(entry?.dtype)) {
      throw new SafetensorsError(file, `unknown dtype ${JSON.stringify(entry?.dtype)}`, name);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `invalid shape ${JSON.stringify(shape)}`, name);
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw new SafetensorsError(file, `invalid data_offsets ${JSON.stringify(offsets)}`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataBytes) {
      throw new SafetensorsError(file, `data_offsets [${begin}, ${end}] out of range (data section is ${dataBytes} bytes)`, name);
    }
    const expected = shapeSize(shape) * DTYPE_BYTES[entry.dtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(
        file,
        `shape [${shape.join(', ')}] of ${entry.dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
        name,
      );
    }
    tensors.set(name, { name, dtype: entry.dtype, shape: [...shape], dataOffsets: [begin, end] });
  }
  return { tensors, metadata };
}

/** One safetensors file, opened lazily: the header is read at open, tensors on demand. */
export class SafetensorsFile implements TensorSource {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly dataStart: number,
    private readonly tensors: Map<string, TensorInfo>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new SafetensorsError(path, `cannot open: ${(error as Error).message}`);
    }
    const handle = await open(path, 'r');
    try {
      if (size < 8) throw new SafetensorsError(path, `truncated: ${size} bytes is shorter than the 8-byte header length`);
      const prefix = Buffer.alloc(8);
      await handle.read(prefix, 0, 8, 0);
      const headerBytes = Number(prefix.readBigUInt64LE(0));
      if (headerBytes > MAX_HEADER_BYTES) {
        throw new SafetensorsError(path, `header length ${headerBytes} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
      }
      if (8 + headerBytes > size) {
        throw new SafetensorsError(path, `truncated: header claims ${headerBytes} bytes but the file has ${size - 8} after the length`);
      }
      const headerBuffer = Buffer.alloc(headerBytes);
      await handle.read(headerBuffer, 0, headerBytes, 8);
      let json: unknown;
      try {
        json = JSON.parse(headerBuffer.toString('utf8'));
      } catch (error) {
        throw new SafetensorsError(path, `header is not valid JSON: ${(error as Error).message}`);
      }
      const dataStart = 8 + headerBytes;
      const { tensors, metadata } = parseHeader(path, json, size - dataStart);
      return new SafetensorsFile(path, handle, dataStart, tensors, metadata);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  keys(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError(this.path, 'no such tensor in file', name);
    return info;
  }

  async read(name: string): Promise<TensorData> {
    const info = this.info(name);
    const [begin, end] = info.dataOffsets;
    const bytes = await this.readBytes(name, begin, end - begin);
    return { name, dtype: info.dtype, shape: [...info.shape], data: decodeElements(bytes, info.dtype, shapeSize(info.shape)) };
  }

  async readRows(name: string, rows: readonly number[]): Promise<TensorData> {
    const info = this.info(name);
    if (info.shape.length === 0) throw new SafetensorsError(this.path, 'readRows needs a tensor with at least one axis', name);
    const [count, ...rest] = info.shape;
    const rowElements = shapeSize(rest);
    const rowBytes = rowElements * DTYPE_BYTES[info.dtype];
    const isFloat = info.dtype.startsWith('F') || info.dtype === 'BF16';
    const out = isFloat ? new Float32Array(rows.length * rowElements) : new Int32Array(rows.length * rowElements);
    const cache = new Map<number, Float32Array | Int32Array>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!Number.isInteger(row) || row < 0 || row >= count) {
        throw new SafetensorsError(this.path, `row ${row} out of range [0, ${count})`, name);
      }
      let values = cache.get(row);
      if (!values) {
        const bytes = await this.readBytes(name, info.dataOffsets[0] + row * rowBytes, rowBytes);
        values = decodeElements(bytes, info.dtype, rowElements);
        cache.set(row, values);
      }
      out.set(values, i * rowElements);
    }
    return { name, dtype: info.dtype, shape: [rows.length, ...rest], data: out };
  }

  private async readBytes(name: string, offset: number, length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, this.dataStart + offset + done);
      if (bytesRead === 0) throw new SafetensorsError(this.path, `unexpected end of file reading ${length} bytes`, name);
      done += bytesRead;
    }
    return buffer;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
