import { open, rename, rm } from 'node:fs/promises';
import { tempPathFor } from '../temp-files.js';
import { DTYPE_BYTES, encodeElements, WRITABLE_DTYPES, type SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

/** A tensor to write: values in row-major order. */
export interface TensorToWrite {
  shape: readonly number[];
  data: ArrayLike<number>;
  /** Stored dtype; default the writer's `dtype` option (F32), or I32 for an Int32Array. */
  dtype?: SafetensorsDtype;
}

export interface WriteSafetensorsOptions {
  /** Default stored dtype for float data. Default 'F32'. */
  dtype?: SafetensorsDtype;
  /** String metadata stored under `__metadata__`. */
  metadata?: Record<string, string>;
}

/**
 * Writes tensors as a safetensors file. The bytes go to a temporary file beside `path`, which
 * is renamed over `path` only when complete, so an interrupted write never leaves a half file.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (options.metadata && Object.keys(options.metadata).length > 0) {
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(path, `__metadata__.${k} must be a string`);
    }
    header.__metadata__ = options.metadata;
  }
  let offset = 0;
  const layout: { name: string; tensor: TensorToWrite; dtype: SafetensorsDtype }[] = [];
  for (const [name, tensor] of entries) {
    const dtype = tensor.dtype ?? (tensor.data instanceof Int32Array ? 'I32' : (options.dtype ?? 'F32'));
    if (!WRITABLE_DTYPES.includes(dtype)) {
      throw new SafetensorsError(path, `cannot write dtype ${dtype} (writable: ${WRITABLE_DTYPES.join(', ')})`, name);
    }
    const size = tensor.shape.reduce((a, b) => a * b, 1);
    if (size !== tensor.data.length) {
      throw new SafetensorsError(path, `shape [${tensor.shape.join(', ')}] has ${size} elements but data has ${tensor.data.length}`, name);
    }
    const bytes = size * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    layout.push({ name, tensor, dtype });
    offset += bytes;
  }
  let headerJson = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  headerJson += ' '.repeat((8 - ((Buffer.byteLength(headerJson) + 8) % 8)) % 8);
  const headerBuffer = Buffer.from(headerJson, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBuffer.length));

  const temp = tempPathFor(path);
  let handle;
  try {
    handle = await open(temp, 'w');
    await handle.write(prefix);
    await handle.write(headerBuffer);
    for (const { tensor, dtype } of layout) {
      await handle.write(encodeElements(tensor.data, dtype));
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    if (error instanceof SafetensorsError) throw error;
    throw new SafetensorsError(path, `write failed: ${(error as Error).message}`);
  }
}
