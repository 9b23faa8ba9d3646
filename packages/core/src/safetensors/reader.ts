import { open, stat, type FileHandle } from 'node:fs/promises';
import { DTYPE_BYTES, decodeElements, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { recogniseForeignFormat } from './foreign-formats.js';
import { parseHeader, type TensorInfo } from './header.js';

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
      const { dataStart, tensors, metadata } = await readHeader(path, handle, size);
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

  /** The tensor's info, checking that this reader can decode its dtype. */
  private decodable(name: string): TensorInfo & { dtype: SafetensorsDtype } {
    const info = this.info(name);
    if (!isSafetensorsDtype(info.dtype)) {
      throw new SafetensorsError(this.path, `dtype ${info.dtype} is valid safetensors but this reader decodes only ${Object.keys(DTYPE_BYTES).join(', ')}`, name);
    }
    return info as TensorInfo & { dtype: SafetensorsDtype };
  }

  async read(name: string): Promise<TensorData> {
    const info = this.decodable(name);
    const [begin, end] = info.dataOffsets;
    const bytes = await this.readBytes(name, begin, end - begin);
    return { name, dtype: info.dtype, shape: [...info.shape], data: decodeElements(bytes, info.dtype, shapeSize(info.shape)) };
  }

  async readRows(name: string, rows: readonly number[]): Promise<TensorData> {
    const info = this.decodable(name);
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

/** The failure of a file as safetensors, or what it really is when its first bytes say so. */
function notSafetensors(path: string, problem: string, head: Uint8Array): SafetensorsError {
  const foreign = recogniseForeignFormat(head);
  if (!foreign) return new SafetensorsError(path, problem);
  return new SafetensorsError(path, `not a safetensors file: this is ${foreign.kind}; ${foreign.advice}`);
}

/** Reads and validates the length prefix and JSON header of an open file of `size` bytes. */
async function readHeader(path: string, handle: FileHandle, size: number) {
  const head = new Uint8Array(Math.min(size, 32));
  await handle.read(head, 0, head.length, 0);
  if (size < 8) throw notSafetensors(path, `truncated: ${size} bytes is shorter than the 8-byte header length`, head);
  // Read as a BigInt and printed exactly: a torch zip reads as 578712552184433500 through a Number.
  const headerLength = Buffer.from(head.buffer, 0, 8).readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw notSafetensors(path, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`, head);
  const headerBytes = Number(headerLength);
  if (8 + headerBytes > size) {
    throw notSafetensors(path, `truncated: header claims ${headerBytes} bytes but the file has ${size - 8} after the length`, head);
  }
  const headerBuffer = Buffer.alloc(headerBytes);
  await handle.read(headerBuffer, 0, headerBytes, 8);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBuffer);
  } catch {
    throw notSafetensors(path, 'header is not valid UTF-8', head);
  }
  const dataStart = 8 + headerBytes;
  try {
    return { dataStart, ...parseHeader(path, text, size - dataStart) };
  } catch (error) {
    if (error instanceof SafetensorsError && error.detail.startsWith('header is not valid JSON')) throw notSafetensors(path, error.detail, head);
    throw error;
  }
}
