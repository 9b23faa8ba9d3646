import { SafetensorsFile, writeSafetensors } from '@dit/core';
import { describeNonFiniteArrays } from './finite.js';
import type { ResizeMode } from './resize.js';

/** Marks our entries in their safetensors metadata (`format`). */
export const CACHE_ENTRY_FORMAT = 'dit-latent-cache/1';

/** Tensor names inside an entry file (`text_embeds` as the original's .pt files). */
export const ENTRY_TENSORS = { latents: 'latents', textEmbeddings: 'text_embeds', attentionMask: 'attention_mask' } as const;

/** What an entry says about itself, stored as string metadata (snake_case keys in the file). */
export interface CacheEntryMetadata {
  /** Bucket size in pixels. */
  width: number;
  height: number;
  /** Mirrored at cache time. */
  flipped: boolean;
  caption: string;
  /** Image file, relative to the dataset folder. */
  source: string;
  /** sha256 of the image file's bytes. */
  sourceHash: string;
  /** sha256 of the caption as encoded. */
  captionHash: string;
  /** Source image size in pixels (after EXIF orientation). */
  originalWidth: number;
  originalHeight: number;
  textEncoder: string;
  autoencoder: string;
  resize: ResizeMode;
  /** `cacheSettingsKey` of the settings the entry was made under. */
  settings: string;
}

/** A float32 or int32 array with its shape. */
export interface ArrayWithShape<T extends Float32Array | Int32Array> {
  shape: number[];
  data: T;
}

export interface CacheEntry {
  metadata: CacheEntryMetadata;
  /** Scaled VAE latents `[C, h, w]`. */
  latents: ArrayWithShape<Float32Array>;
  /** Text encoder output `[L, dim]`. */
  textEmbeddings: ArrayWithShape<Float32Array>;
  /** 1 = token, 0 = padding, `[L]`. */
  attentionMask: ArrayWithShape<Int32Array>;
}

/** A cache entry that cannot be used; names the file. */
export class CacheEntryError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'CacheEntryError';
  }
}

function toStrings(metadata: CacheEntryMetadata): Record<string, string> {
  return {
    format: CACHE_ENTRY_FORMAT,
    width: String(metadata.width),
    height: String(metadata.height),
    flipped: String(metadata.flipped),
    caption: metadata.caption,
    source: metadata.source,
    source_hash: metadata.sourceHash,
    caption_hash: metadata.captionHash,
    original_width: String(metadata.originalWidth),
    original_height: String(metadata.originalHeight),
    text_encoder: metadata.textEncoder,
    autoencoder: metadata.autoencoder,
    resize: metadata.resize,
    settings: metadata.settings,
  };
}

function fromStrings(file: string, raw: Record<string, string>): CacheEntryMetadata {
  if (raw.format !== CACHE_ENTRY_FORMAT) {
    throw new CacheEntryError(file, `metadata format is ${JSON.stringify(raw.format)}, expected '${CACHE_ENTRY_FORMAT}'`);
  }
  const text = (key: string) => {
    if (typeof raw[key] !== 'string') throw new CacheEntryError(file, `metadata field '${key}' is missing`);
    return raw[key];
  };
  const integer = (key: string) => {
    const value = Number(text(key));
    if (!Number.isInteger(value) || value <= 0) throw new CacheEntryError(file, `metadata field '${key}' is ${JSON.stringify(raw[key])}, not a positive integer`);
    return value;
  };
  const flipped = text('flipped');
  if (flipped !== 'true' && flipped !== 'false') throw new CacheEntryError(file, `metadata field 'flipped' is ${JSON.stringify(flipped)}`);
  const resize = text('resize');
  if (resize !== 'stretch' && resize !== 'crop') throw new CacheEntryError(file, `metadata field 'resize' is ${JSON.stringify(resize)}`);
  return {
    width: integer('width'),
    height: integer('height'),
    flipped: flipped === 'true',
    caption: text('caption'),
    source: text('source'),
    sourceHash: text('source_hash'),
    captionHash: text('caption_hash'),
    originalWidth: integer('original_width'),
    originalHeight: integer('original_height'),
    textEncoder: text('text_encoder'),
    autoencoder: text('autoencoder'),
    resize,
    settings: text('settings'),
  };
}

function checkShapes(file: string, shapes: { latents: readonly number[]; text: readonly number[]; mask: readonly number[] }): void {
  const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;
  if (shapes.latents.length !== 3) throw new CacheEntryError(file, `latents ${show(shapes.latents)} should be [C, h, w]`);
  if (shapes.text.length !== 2) throw new CacheEntryError(file, `text_embeds ${show(shapes.text)} should be [L, dim]`);
  if (shapes.mask.length !== 1 || shapes.mask[0] !== shapes.text[0]) {
    throw new CacheEntryError(file, `attention_mask ${show(shapes.mask)} should be [${shapes.text[0]}] to match text_embeds ${show(shapes.text)}`);
  }
}

/**
 * Writes one entry as safetensors (F32 latents and embeddings, I32 mask, string metadata), so
 * Python's `safetensors.torch.load_file` reads it. Atomic: temp file, then rename.
 */
export async function writeCacheEntry(path: string, entry: CacheEntry): Promise<void> {
  checkShapes(path, { latents: entry.latents.shape, text: entry.textEmbeddings.shape, mask: entry.attentionMask.shape });
  await writeSafetensors(
    path,
    {
      [ENTRY_TENSORS.latents]: { shape: entry.latents.shape, data: entry.latents.data, dtype: 'F32' },
      [ENTRY_TENSORS.textEmbeddings]: { shape: entry.textEmbeddings.shape, data: entry.textEmbeddings.data, dtype: 'F32' },
      [ENTRY_TENSORS.attentionMask]: { shape: entry.attentionMask.shape, data: entry.attentionMask.data, dtype: 'I32' },
    },
    { metadata: toStrings(entry.metadata) },
  );
}

/** A reader's message without the leading path it repeats (`<path>: truncated...` -> `truncated...`, `<path> [tensor 'x']: ...` -> `[tensor 'x']: ...`). */
function withoutPath(path: string, message: string): string {
  if (message.startsWith(`${path}: `)) return message.slice(path.length + 2);
  return message.startsWith(`${path} [`) ? message.slice(path.length + 1) : message;
}

async function openEntry<T>(path: string, use: (file: SafetensorsFile) => Promise<T>): Promise<T> {
  let file: SafetensorsFile;
  try {
    file = await SafetensorsFile.open(path);
  } catch (error) {
    throw new CacheEntryError(path, `unreadable cache entry: ${withoutPath(path, (error as Error).message)}`);
  }
  try {
    for (const name of Object.values(ENTRY_TENSORS)) {
      if (!file.has(name)) throw new CacheEntryError(path, `tensor '${name}' is missing`);
    }
    checkShapes(path, {
      latents: file.info(ENTRY_TENSORS.latents).shape,
      text: file.info(ENTRY_TENSORS.textEmbeddings).shape,
      mask: file.info(ENTRY_TENSORS.attentionMask).shape,
    });
    return await use(file);
  } catch (error) {
    if (error instanceof CacheEntryError) throw error;
    throw new CacheEntryError(path, `unreadable cache entry: ${withoutPath(path, (error as Error).message)}`);
  } finally {
    await file.close();
  }
}

/** Metadata and tensor shapes from the header only (cheap: no tensor data is read). */
export function readCacheEntryHeader(path: string): Promise<{ metadata: CacheEntryMetadata; latentShape: number[]; textShape: number[] }> {
  return openEntry(path, async (file) => ({
    metadata: fromStrings(path, file.metadata),
    latentShape: file.info(ENTRY_TENSORS.latents).shape,
    textShape: file.info(ENTRY_TENSORS.textEmbeddings).shape,
  }));
}

/** Reads a whole entry; every problem is a `CacheEntryError` naming the file. */
export function readCacheEntry(path: string): Promise<CacheEntry> {
  return openEntry(path, async (file) => {
    const metadata = fromStrings(path, file.metadata);
    const latents = await file.read(ENTRY_TENSORS.latents);
    const text = await file.read(ENTRY_TENSORS.textEmbeddings);
    const mask = await file.read(ENTRY_TENSORS.attentionMask);
    if (!(latents.data instanceof Float32Array) || !(text.data instanceof Float32Array)) {
      throw new CacheEntryError(path, `latents and text_embeds must be float tensors, got ${latents.dtype} and ${text.dtype}`);
    }
    const maskData = mask.data instanceof Int32Array ? mask.data : Int32Array.from(mask.data, (v) => (v ? 1 : 0));
    return {
      metadata,
      latents: { shape: latents.shape, data: latents.data },
      textEmbeddings: { shape: text.shape, data: text.data },
      attentionMask: { shape: mask.shape, data: maskData },
    };
  });
}

/** What is not finite in an entry's latents and text embeddings ("latents hold 1 NaN of 768 values ..."), or null. */
export function describeNonFiniteEntry(entry: Pick<CacheEntry, 'latents' | 'textEmbeddings'>): string | null {
  return describeNonFiniteArrays([
    [ENTRY_TENSORS.latents, entry.latents.data],
    [ENTRY_TENSORS.textEmbeddings, entry.textEmbeddings.data],
  ]);
}

/**
 * Throws a `CacheEntryError` naming the entry when its latents or text embeddings hold a NaN or an
 * infinity (a VAE overflow, a damaged file): such an entry turns every loss it touches into NaN.
 */
export function assertEntryFinite(path: string, entry: Pick<CacheEntry, 'latents' | 'textEmbeddings'>): void {
  const problem = describeNonFiniteEntry(entry);
  if (problem) throw new CacheEntryError(path, `${problem}; run preprocess again, which encodes damaged entries anew`);
}

/** Reads only the latents `[C, h, w]` (statistics, checks). */
export function readCacheLatents(path: string): Promise<ArrayWithShape<Float32Array>> {
  return openEntry(path, async (file) => {
    const latents = await file.read(ENTRY_TENSORS.latents);
    if (!(latents.data instanceof Float32Array)) throw new CacheEntryError(path, `latents must be a float tensor, got ${latents.dtype}`);
    return { shape: latents.shape, data: latents.data };
  });
}
