import { visit } from 'jsonc-parser';
import { FORMAT_DTYPE_BITS, isFormatDtype, type FormatDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

/** Where one tensor lives in a safetensors file. */
export interface TensorInfo {
  name: string;
  /** Any dtype the format defines; reading decodes the `SafetensorsDtype` subset. */
  dtype: FormatDtype;
  shape: number[];
  /** Byte range relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** A validated header: the tensors in file order and the `__metadata__` strings. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** How an unsigned integer must be written: serde rejects `2.0`, `2e0` and `-0` where a usize is expected. */
const UNSIGNED_INTEGER_TEXT = /^(0|[1-9][0-9]*)$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * What JSON.parse cannot see: a second `__metadata__` (serde refuses duplicate struct fields,
 * while duplicate tensor names keep the last one, as JSON.parse does) and numbers in shape or
 * data_offsets written as `2.0`, `2e0` or `-0`, which parse as integers here but not in serde.
 */
function checkRawText(file: string, text: string): void {
  let metadataSeen = false;
  visit(text, {
    onObjectProperty: (property, _offset, _length, _line, _column, path) => {
      if (property !== METADATA_KEY || path().length !== 0) return;
      if (metadataSeen) throw new SafetensorsError(file, `header has '${METADATA_KEY}' twice`);
      metadataSeen = true;
    },
    onLiteralValue: (value, offset, length, _line, _column, pathSupplier) => {
      if (typeof value !== 'number') return;
      const path = pathSupplier();
      const [tensor, field] = path;
      if (path.length !== 3 || tensor === METADATA_KEY || (field !== 'shape' && field !== 'data_offsets')) return;
      const raw = text.slice(offset, offset + length);
      if (!UNSIGNED_INTEGER_TEXT.test(raw)) {
        throw new SafetensorsError(file, `${field} holds ${raw}, which is not written as an unsigned integer`, String(tensor));
      }
      // Named from the text: JSON.parse has already rounded such a number (2^60 to 1152921504606847000).
      const exact = BigInt(raw);
      if (exact > BigInt(Number.MAX_SAFE_INTEGER)) {
        const power = (exact & (exact - 1n)) === 0n ? ` (2^${exact.toString(2).length - 1})` : '';
        throw new SafetensorsError(file, `${field} holds ${raw}${power}, beyond 2^53: more than any file can hold`, String(tensor));
      }
    },
  });
}

function unsignedIntegers(file: string, name: string, field: string, value: unknown, length?: number): number[] {
  if (value === undefined) throw new SafetensorsError(file, `missing field '${field}'`, name);
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw new SafetensorsError(file, `${field} must be ${length === undefined ? 'an array' : `an array of ${length}`} unsigned integers, found ${JSON.stringify(value)}`, name);
  }
  for (const item of value) {
    if (!Number.isInteger(item) || item < 0) throw new SafetensorsError(file, `${field} ${JSON.stringify(value)}: ${JSON.stringify(item)} is not an unsigned integer`, name);
    if (!Number.isSafeInteger(item)) throw new SafetensorsError(file, `${field} ${JSON.stringify(value)}: ${item} is beyond 2^53, more than any file can hold`, name);
  }
  return value as number[];
}

/** Bytes of a tensor, or an error when the size overflows or ends inside a byte (4- and 6-bit dtypes). */
function tensorBytes(file: string, name: string, dtype: FormatDtype, shape: number[]): number {
  const bits = shape.reduce((product, dim) => product * BigInt(dim), 1n) * BigInt(FORMAT_DTYPE_BITS[dtype]);
  if (bits % 8n !== 0n) throw new SafetensorsError(file, `shape [${shape.join(', ')}] of ${dtype} does not end on a byte boundary`, name);
  const bytes = bits / 8n;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new SafetensorsError(file, `shape [${shape.join(', ')}] of ${dtype} overflows any file size`, name);
  return Number(bytes);
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (raw === null) return {};
  if (!isPlainObject(raw)) throw new SafetensorsError(file, `${METADATA_KEY} must be an object of strings, found ${kindOf(raw)}`);
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new SafetensorsError(file, `${METADATA_KEY}.${key} must be a string, found ${kindOf(value)}`);
  }
  return { ...(raw as Record<string, string>) };
}

function parseEntry(file: string, name: string, raw: unknown): TensorInfo {
  if (!isPlainObject(raw)) throw new SafetensorsError(file, `entry must be an object with dtype, shape and data_offsets, found ${kindOf(raw)}`, name);
  if (raw.dtype === undefined) throw new SafetensorsError(file, `missing field 'dtype'`, name);
  if (!isFormatDtype(raw.dtype)) {
    throw new SafetensorsError(file, `unknown dtype ${JSON.stringify(raw.dtype)} (the format defines ${Object.keys(FORMAT_DTYPE_BITS).join(', ')})`, name);
  }
  const shape = unsignedIntegers(file, name, 'shape', raw.shape);
  const [begin, end] = unsignedIntegers(file, name, 'data_offsets', raw.data_offsets, 2);
  return { name, dtype: raw.dtype, shape: [...shape], dataOffsets: [begin, end] };
}

/**
 * Parses and validates a header by the rules of the reference implementation
 * (huggingface/safetensors `Metadata::validate` and `SafeTensors::read_metadata`): a JSON object;
 * `__metadata__` null or an object of strings, once; each tensor's dtype one the format defines,
 * shape and data_offsets unsigned integers; sorted by offset, the tensors tile the data section
 * from byte 0 with no overlap and no gap, each spanning dtype bits x elements; and they cover it
 * exactly (no trailing bytes, none missing). Every error names the file and, where known, the tensor.
 */
export function parseHeader(file: string, text: string, dataBytes: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(file, `header is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(json)) throw new SafetensorsError(file, `header must be a JSON object, found ${kindOf(json)}`);
  checkRawText(file, text);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(file, raw);
    else tensors.set(name, parseEntry(file, name, raw));
  }
  const byOffset = [...tensors.values()].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let covered = 0;
  let previous: TensorInfo | undefined;
  for (const info of byOffset) {
    const [begin, end] = info.dataOffsets;
    if (end < begin) throw new SafetensorsError(file, `data_offsets [${begin}, ${end}] end before they begin`, info.name);
    if (begin < covered) {
      throw new SafetensorsError(file, `data_offsets [${begin}, ${end}] overlap tensor '${previous!.name}' [${previous!.dataOffsets.join(', ')}]`, info.name);
    }
    if (begin > covered) {
      const where = previous ? `after tensor '${previous.name}' ends at ${covered}` : 'at the start of the data section';
      throw new SafetensorsError(file, `data_offsets [${begin}, ${end}] leave a gap of ${begin - covered} bytes ${where}`, info.name);
    }
    const expected = tensorBytes(file, info.name, info.dtype, info.shape);
    if (end - begin !== expected) {
      throw new SafetensorsError(file, `shape [${info.shape.join(', ')}] of ${info.dtype} needs ${expected} bytes but data_offsets span ${end - begin}`, info.name);
    }
    covered = end;
    previous = info;
  }
  if (covered > dataBytes) {
    throw new SafetensorsError(file, `truncated: the tensors need ${covered} bytes of data but the file has ${dataBytes} after the header`, previous?.name);
  }
  if (covered < dataBytes) {
    throw new SafetensorsError(file, `${dataBytes - covered} trailing bytes after the last tensor's data (the tensors cover ${covered} of ${dataBytes} bytes)`);
  }
  return { tensors, metadata };
}
