import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * PNG text metadata (PNG specification, 3rd edition, sections 5.3 and 11.3.3): key/value
 * pairs stored as `tEXt` chunks (Latin-1), or `iTXt` chunks (UTF-8, uncompressed) when a
 * key or value has characters Latin-1 cannot hold. sharp cannot write either; the npm
 * packages that do (png-chunk-text, png-chunks-encode) have not been released since 1.0.0.
 * A chunk is length (4 bytes, big-endian) + type + data + CRC-32 of type and data.
 */

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** CRC-32 (ISO 3309, the one PNG and zlib use) of `bytes`: Node's own (node:zlib, Node >= 20.15). */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes);
}

interface Chunk {
  type: string;
  data: Uint8Array;
  /** Offset of the chunk's length field in the file. */
  offset: number;
}

function checkSignature(png: Uint8Array, source: string): void {
  if (png.length < 8 || SIGNATURE.some((byte, i) => png[i] !== byte)) throw new Error(`${source}: not a PNG file (bad signature)`);
}

/** The chunks of a PNG, checking lengths and CRCs; errors name the source and the chunk. */
function readChunks(png: Uint8Array, source: string): Chunk[] {
  checkSignature(png, source);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new Error(`${source}: truncated chunk header at byte ${offset}`);
    const length = view.getUint32(offset);
    const type = latin1(png.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > png.length) throw new Error(`${source}: chunk ${type} at byte ${offset} runs past the end of the file`);
    const typeAndData = png.subarray(offset + 4, offset + 8 + length);
    if (crc32(typeAndData) !== view.getUint32(offset + 8 + length)) throw new Error(`${source}: chunk ${type} at byte ${offset} has a bad CRC`);
    chunks.push({ type, data: png.subarray(offset + 8, offset + 8 + length), offset });
    offset = end;
    if (type === 'IEND') break;
  }
  if (chunks[chunks.length - 1]?.type !== 'IEND') throw new Error(`${source}: no IEND chunk`);
  return chunks;
}

function encodeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Bytes as Latin-1 text (TextDecoder's 'latin1' is windows-1252, which differs in 0x80-0x9f). */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

const isLatin1 = (text: string) => /^[\u0001-\u00ff]*$/.test(text);

function checkKeyword(keyword: string): void {
  // Section 11.3.3.1: 1-79 printable Latin-1 characters, no leading, trailing or double spaces.
  if (!/^[\u0020-\u007e\u00a1-\u00ff]{1,79}$/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new Error(`PNG text keyword ${JSON.stringify(keyword)} must be 1-79 printable Latin-1 characters without leading, trailing or double spaces`);
  }
}

function textChunk(keyword: string, value: string): Uint8Array {
  checkKeyword(keyword);
  if (isLatin1(value)) {
    const data = Uint8Array.from(`${keyword}\0${value}`, (ch) => ch.charCodeAt(0));
    return encodeChunk('tEXt', data);
  }
  // iTXt: keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text.
  const head = Uint8Array.from(keyword, (ch) => ch.charCodeAt(0));
  const text = new TextEncoder().encode(value);
  const data = new Uint8Array(head.length + 5 + text.length);
  data.set(head, 0);
  data.set(text, head.length + 5);
  return encodeChunk('iTXt', data);
}

/**
 * A copy of `png` with one text chunk per entry, placed before the image data so that readers
 * that stop at the first IDAT (libvips' header read, for one) see them too.
 */
export function addPngText(png: Uint8Array, entries: Record<string, string>, source = 'png'): Uint8Array {
  const chunks = readChunks(png, source);
  const insertAt = (chunks.find((chunk) => chunk.type === 'IDAT') ?? chunks[chunks.length - 1]).offset;
  const added = Object.entries(entries).map(([keyword, value]) => textChunk(keyword, value));
  const size = added.reduce((n, chunk) => n + chunk.length, 0);
  const out = new Uint8Array(png.length + size);
  out.set(png.subarray(0, insertAt), 0);
  let at = insertAt;
  for (const chunk of added) {
    out.set(chunk, at);
    at += chunk.length;
  }
  out.set(png.subarray(insertAt), at);
  return out;
}

/** The text metadata of a PNG (`tEXt` and uncompressed `iTXt` chunks), keyword -> text. */
export function readPngText(png: Uint8Array, source = 'png'): Record<string, string> {
  const result: Record<string, string> = {};
  for (const { type, data } of readChunks(png, source)) {
    if (type !== 'tEXt' && type !== 'iTXt') continue;
    const nul = data.indexOf(0);
    if (nul < 1) throw new Error(`${source}: ${type} chunk without a keyword`);
    const keyword = latin1(data.subarray(0, nul));
    if (type === 'tEXt') {
      result[keyword] = latin1(data.subarray(nul + 1));
      continue;
    }
    if (data[nul + 1] !== 0) continue; // compressed iTXt: never written here
    const language = data.indexOf(0, nul + 3);
    const translated = data.indexOf(0, language + 1);
    if (language < 0 || translated < 0) throw new Error(`${source}: malformed iTXt chunk '${keyword}'`);
    result[keyword] = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(translated + 1));
  }
  return result;
}
