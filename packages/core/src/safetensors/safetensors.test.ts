import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './dtypes.js';
import { openSafetensors, readAllTensors } from './open.js';
import { SafetensorsFile } from './reader.js';
import { writeSafetensors } from './writer.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Builds a raw safetensors file from a header object and a data length. */
async function rawFile(name: string, header: unknown, dataBytes: number, headerLengthOverride?: bigint): Promise<string> {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLengthOverride ?? BigInt(json.length));
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
  return path;
}

describe('safetensors dtype conversions', () => {
  it('round-trips halves and bfloat16s exactly and rounds to nearest even', () => {
    for (const bits of [0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00]) {
      expect(f32ToF16(f16ToF32(bits))).toBe(bits);
    }
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even
    expect(f32ToF16(1e6)).toBe(0x7c00); // overflow to +inf
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie to even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(Number.NaN)))).toBe(true);
  });
});

describe('reading files written by Python safetensors', () => {
  it('reads F32, F16, BF16, I64, BOOL and scalars with metadata, as torch stored them', async () => {
    const expected = JSON.parse(await readFile(join(fixtures, 'python-dtypes.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    const { tensors, metadata } = await readAllTensors(join(fixtures, 'python-dtypes.safetensors'));
    expect(metadata).toEqual({ format: 'pt', note: 'dit fixture' });
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = tensors.get(name)!;
      expect(got.shape, name).toEqual(want.shape);
      const values = Array.from(got.data);
      want.values.forEach((v, i) => expect(values[i], `${name}[${i}]`).toBeCloseTo(v, 6));
    }
    expect(tensors.get('weights.bf16')!.dtype).toBe('BF16');
    expect(tensors.get('ids.i64')!.data).toBeInstanceOf(Int32Array);
  });
});

describe('writeSafetensors + SafetensorsFile', () => {
  const values = Float32Array.from({ length: 24 }, (_, i) => (i - 11.5) * 0.37);

  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`round-trips ${dtype}`, async () => {
      const path = join(dir, `rt-${dtype}.safetensors`);
      await writeSafetensors(path, { w: { shape: [4, 6], data: values }, ids: { shape: [3], data: Int32Array.from([1, -2, 3]) } }, { dtype, metadata: { step: '7' } });
      const file = await SafetensorsFile.open(path);
      expect(file.metadata).toEqual({ step: '7' });
      expect(file.info('w').dtype).toBe(dtype);
      const w = await file.read('w');
      expect(w.shape).toEqual([4, 6]);
      const tolerance = dtype === 'F32' ? 0 : dtype === 'F16' ? 3e-3 : 2e-2;
      Array.from(w.data).forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(values[i]))));
      expect(Array.from((await file.read('ids')).data)).toEqual([1, -2, 3]);
      await file.close();
    });
  }

  it('writes an 8-byte aligned header and leaves no temp file behind', async () => {
    const path = join(dir, 'aligned.safetensors');
    await writeSafetensors(path, { a: { shape: [1], data: [1] } });
    const bytes = await readFile(path);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('reads single rows without reading the whole tensor', async () => {
    const path = join(dir, 'rows.safetensors');
    const table = Float32Array.from({ length: 1000 * 8 }, (_, i) => i);
    await writeSafetensors(path, { table: { shape: [1000, 8], data: table } });
    const file = await SafetensorsFile.open(path);
    const rows = await file.readRows('table', [999, 3, 3]);
    expect(rows.shape).toEqual([3, 8]);
    expect(Array.from(rows.data.slice(0, 2))).toEqual([7992, 7993]);
    expect(Array.from(rows.data.slice(8, 10))).toEqual([24, 25]);
    await expect(file.readRows('table', [1000])).rejects.toThrow(/rows\.safetensors \[tensor 'table'\]: row 1000 out of range/);
    await file.close();
  });

  it('keeps the previous file when a write fails', async () => {
    const path = join(dir, 'keep.safetensors');
    await writeSafetensors(path, { a: { shape: [2], data: [1, 2] } });
    await expect(writeSafetensors(path, { a: { shape: [3], data: [1, 2] } })).rejects.toThrow(/keep\.safetensors \[tensor 'a'\]: shape \[3\] has 3 elements but data has 2/);
    expect(Array.from((await readAllTensors(path)).tensors.get('a')!.data)).toEqual([1, 2]);
  });
});

describe('bad files name the file and tensor', () => {
  it('truncated below the length prefix', async () => {
    const path = join(dir, 'tiny.safetensors');
    await writeFile(path, Buffer.alloc(5));
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/tiny\.safetensors: truncated: 5 bytes/);
  });

  it('header too long and header past the end', async () => {
    const huge = await rawFile('huge.safetensors', {}, 0, 200_000_000n);
    await expect(SafetensorsFile.open(huge)).rejects.toThrow(/huge\.safetensors: header length 200000000 exceeds/);
    const past = await rawFile('past.safetensors', {}, 0, 5000n);
    await expect(SafetensorsFile.open(past)).rejects.toThrow(/past\.safetensors: truncated: header claims 5000 bytes/);
  });

  it('truncated data section (more rules in validation.test.ts)', async () => {
    const path = await rawFile('short.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8);
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/short\.safetensors \[tensor 'w'\]: truncated: the tensors need 16 bytes of data but the file has 8 after the header/);
  });

  it('shape and size mismatch', async () => {
    const path = await rawFile('mismatch.safetensors', { w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, 8);
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/mismatch\.safetensors \[tensor 'w'\]: shape \[2, 3\] of F16 needs 12 bytes but data_offsets span 8/);
  });

  it('invalid JSON and missing tensors', async () => {
    const path = join(dir, 'json.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(3n);
    await writeFile(path, Buffer.concat([prefix, Buffer.from('{x}')]));
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/json\.safetensors: header is not valid JSON/);
    const good = join(dir, 'good.safetensors');
    await writeSafetensors(good, { a: { shape: [1], data: [1] } });
    const file = await SafetensorsFile.open(good);
    await expect(file.read('b')).rejects.toThrow(/good\.safetensors \[tensor 'b'\]: no such tensor/);
    await file.close();
  });
});

describe('sharded models', () => {
  it('reads tensors through model.safetensors.index.json and a folder', async () => {
    const shardDir = join(dir, 'sharded');
    await rm(shardDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(shardDir));
    await writeSafetensors(join(shardDir, 'model-00001-of-00002.safetensors'), { a: { shape: [2], data: [1, 2] } });
    await writeSafetensors(join(shardDir, 'model-00002-of-00002.safetensors'), { b: { shape: [1, 2], data: [3, 4] } });
    await writeFile(
      join(shardDir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: 16 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }),
    );
    const source = await openSafetensors(shardDir);
    expect(source.keys()).toEqual(['a', 'b']);
    expect(source.info('b').shape).toEqual([1, 2]);
    expect(Array.from((await source.read('b')).data)).toEqual([3, 4]);
    expect(Array.from((await source.readRows('a', [1])).data)).toEqual([2]);
    expect(source.metadata).toEqual({ total_size: '16' });
    await source.close();

    await writeFile(join(shardDir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { c: 'model-00001-of-00002.safetensors' } }));
    await expect(openSafetensors(shardDir)).rejects.toThrow(/model-00001-of-00002\.safetensors \[tensor 'c'\]: the shard index maps this tensor here but the shard lacks it/);
  });
});
