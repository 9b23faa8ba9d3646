import { writeSafetensors } from '@dit/core';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheEntryError, readCacheEntry, readCacheEntryHeader, readCacheLatents, writeCacheEntry, type CacheEntry } from './cache-entry.js';
import { removeTempDirs, tempDir } from './test-utils/fixtures.js';

afterAll(removeTempDirs);

const entry: CacheEntry = {
  metadata: {
    width: 48,
    height: 80,
    flipped: true,
    caption: 'A macro shot of a "yellow" dandelion, natural daylight. \u00e9\u{1F33C}',
    source: '5.png',
    sourceHash: 'ab'.repeat(32),
    captionHash: 'cd'.repeat(32),
    originalWidth: 54,
    originalHeight: 96,
    textEncoder: 'hash-text-test',
    autoencoder: 'pixel-f8',
    resize: 'crop',
    settings: '{"seed":0}',
  },
  latents: { shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1) },
  textEmbeddings: { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 0, 0]) },
  attentionMask: { shape: [3], data: Int32Array.from([1, 1, 0]) },
};

describe('cache entries', () => {
  it('round-trip through safetensors', async () => {
    const path = join(await tempDir('entry'), 'e.safetensors');
    await writeCacheEntry(path, entry);
    expect(await readCacheEntry(path)).toEqual(entry);
    const header = await readCacheEntryHeader(path);
    expect(header).toEqual({ metadata: entry.metadata, latentShape: [2, 3, 4], textShape: [3, 2] });
    expect(await readCacheLatents(path)).toEqual(entry.latents);
  });

  it('are plain F32/I32 tensors with string metadata, as Python safetensors reads them', async () => {
    const path = join(await tempDir('entry-py'), 'e.safetensors');
    await writeCacheEntry(path, entry);
    const bytes = await readFile(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header.latents).toMatchObject({ dtype: 'F32', shape: [2, 3, 4] });
    expect(header.text_embeds).toMatchObject({ dtype: 'F32', shape: [3, 2] });
    expect(header.attention_mask).toMatchObject({ dtype: 'I32', shape: [3] });
    expect(Object.values(header.__metadata__).every((v) => typeof v === 'string')).toBe(true);
    expect(header.__metadata__).toMatchObject({ width: '48', height: '80', flipped: 'true', caption: entry.metadata.caption, source_hash: entry.metadata.sourceHash, format: 'dit-latent-cache/1' });
    expect((8 + headerLength) % 8).toBe(0);
  });

  it('fail with the file name when corrupt, truncated, foreign or mis-shaped', async () => {
    const dir = await tempDir('entry-bad');
    const garbage = join(dir, 'garbage.safetensors');
    await writeFile(garbage, 'this is not a safetensors file at all');
    await expect(readCacheEntry(garbage)).rejects.toThrow(CacheEntryError);
    await expect(readCacheEntry(garbage)).rejects.toThrow(/garbage\.safetensors: unreadable cache entry/);

    const cut = join(dir, 'cut.safetensors');
    await writeCacheEntry(cut, entry);
    const { size } = await stat(cut);
    await truncate(cut, size - 10);
    await expect(readCacheEntry(cut)).rejects.toThrow(/cut\.safetensors: unreadable cache entry/);
    // The file is named once, not again by the reader's own message.
    const message = (await readCacheEntry(cut).catch((error: Error) => error.message)) as string;
    expect(message.split(cut), message).toHaveLength(2);

    const foreign = join(dir, 'foreign.safetensors');
    await writeSafetensors(foreign, { latents: { shape: [1], data: [0] } }, { metadata: { format: 'pt' } });
    await expect(readCacheEntry(foreign)).rejects.toThrow(/foreign\.safetensors: tensor 'text_embeds' is missing/);

    await expect(writeCacheEntry(join(dir, 'x.safetensors'), { ...entry, attentionMask: { shape: [2], data: Int32Array.from([1, 1]) } })).rejects.toThrow(
      /attention_mask \[2\] should be \[3\] to match text_embeds \[3, 2\]/,
    );
  });
});
