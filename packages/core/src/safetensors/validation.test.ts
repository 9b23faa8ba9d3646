import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from './reader.js';

/**
 * The files of tools/reference/safetensors_validation_fixture.py with the Python `safetensors`
 * package's verdict on each: this reader accepts exactly the files Python accepts, and says why
 * it rejects the others.
 */
interface Case {
  name: string;
  bytes: string;
  python: { ok: boolean; keys?: string[]; metadata?: Record<string, string> | null; error?: string };
}
const fixture = fileURLToPath(new URL('../../fixtures/safetensors-validation.json', import.meta.url));
const { cases } = JSON.parse(await readFile(fixture, 'utf8')) as { cases: Case[] };

/** Our message for each file Python rejects (after "<file>: " or "<file> [tensor 'x']: "). */
const REJECTIONS: Record<string, RegExp> = {
  'overlapping-offsets': /\[tensor '[ab]'\]: data_offsets \[0, 8\] overlap tensor '[ab]' \[0, 8\]/,
  'partly-overlapping-offsets': /\[tensor 'b'\]: data_offsets \[8, 16\] overlap tensor 'a' \[0, 16\]/,
  'gap-between-tensors': /\[tensor 'b'\]: data_offsets \[12, 20\] leave a gap of 4 bytes after tensor 'a' ends at 8/,
  'first-tensor-not-at-zero': /\[tensor 'a'\]: data_offsets \[4, 12\] leave a gap of 4 bytes at the start of the data section/,
  'trailing-bytes': /: 4 trailing bytes after the last tensor's data \(the tensors cover 8 of 12 bytes\)/,
  'truncated-data': /\[tensor 'a'\]: truncated: the tensors need 8 bytes of data but the file has 5 after the header/,
  'duplicate-tensor-different-offsets': /\[tensor 'a'\]: data_offsets \[8, 16\] leave a gap of 8 bytes at the start/,
  'offsets-reversed': /\[tensor 'a'\]: data_offsets \[8, 0\] end before they begin/,
  'size-mismatch-dtype-times-shape': /\[tensor 'a'\]: shape \[3\] of F32 needs 12 bytes but data_offsets span 8/,
  'sub-byte-dtype-not-byte-aligned': /\[tensor 'a'\]: shape \[3\] of F4 does not end on a byte boundary/,
  'size-overflow': /\[tensor 'a'\]: shape holds 4611686018427387904 \(2\^62\), beyond 2\^53: more than any file can hold/,
  'header-not-object-array': /: header must be a JSON object, found an array/,
  'header-not-object-string': /: header must be a JSON object, found string "x"/,
  'header-empty': /: header is not valid JSON/,
  'header-invalid-json': /: header is not valid JSON/,
  'header-trailing-nul': /: header is not valid JSON/,
  'header-comment': /: header is not valid JSON/,
  'header-trailing-comma': /: header is not valid JSON/,
  'header-invalid-utf8': /: header is not valid UTF-8/,
  'header-too-small': /: truncated: 3 bytes is shorter than the 8-byte header length/,
  'header-too-large': /: header length 100000001 exceeds the 100000000-byte limit/,
  'header-longer-than-file': /: truncated: header claims 1000 bytes but the file has 2 after the length/,
  'duplicate-metadata': /: header has '__metadata__' twice/,
  'metadata-value-number': /: __metadata__\.x must be a string, found number 1/,
  'metadata-value-object': /: __metadata__\.x must be a string, found an object/,
  'metadata-value-null': /: __metadata__\.x must be a string, found null/,
  'metadata-array': /: __metadata__ must be an object of strings, found an array/,
  'metadata-string': /: __metadata__ must be an object of strings, found string "x"/,
  'entry-not-object': /\[tensor 'a'\]: entry must be an object with dtype, shape and data_offsets, found boolean true/,
  'entry-missing-shape': /\[tensor 'a'\]: missing field 'shape'/,
  'entry-missing-dtype': /\[tensor 'a'\]: missing field 'dtype'/,
  'entry-missing-offsets': /\[tensor 'a'\]: missing field 'data_offsets'/,
  'unknown-dtype': /\[tensor 'a'\]: unknown dtype "F7" \(the format defines BOOL, F4, /,
  'lowercase-dtype': /\[tensor 'a'\]: unknown dtype "f32"/,
  'shape-float': /\[tensor 'a'\]: shape holds 2\.0, which is not written as an unsigned integer/,
  'shape-exponent': /\[tensor 'a'\]: shape holds 2e0, which is not written as an unsigned integer/,
  'shape-negative': /\[tensor 'a'\]: shape holds -2, which is not written as an unsigned integer/,
  'shape-string': /\[tensor 'a'\]: shape \["2"\]: "2" is not an unsigned integer/,
  'shape-not-array': /\[tensor 'a'\]: shape must be an array unsigned integers, found 2/,
  'offsets-float': /\[tensor 'a'\]: data_offsets holds 8\.0, which is not written as an unsigned integer/,
  'offsets-negative-zero': /\[tensor 'a'\]: data_offsets holds -0, which is not written as an unsigned integer/,
  'offsets-three': /\[tensor 'a'\]: data_offsets must be an array of 2 unsigned integers, found \[0,8,9\]/,
  'offsets-one': /\[tensor 'a'\]: data_offsets must be an array of 2 unsigned integers, found \[8\]/,
  'torch-save-zip': /: not a safetensors file: this is a PyTorch checkpoint \(torch\.save zip archive\).*convert it to safetensors with Python.*\n\s+import torch\n.*torch\.load\("model\.pt", map_location="cpu", weights_only=True\)/s,
  'torch-save-legacy-pickle': /: not a safetensors file: this is a Python pickle \(legacy torch\.save format\); convert it to safetensors with Python/,
  'git-lfs-pointer': /: not a safetensors file: this is a Git LFS pointer, not the file itself; fetch the real file/,
  'html-page': /: not a safetensors file: this is an HTML page/,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-st-validation-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('safetensors validation matches the Python package', () => {
  it('the fixture covers every rejection listed here', () => {
    const rejected = cases.filter((c) => !c.python.ok).map((c) => c.name);
    expect(rejected.sort()).toEqual(Object.keys(REJECTIONS).sort());
  });

  for (const { name, bytes, python } of cases) {
    it(`${python.ok ? 'accepts' : 'rejects'} ${name}`, async () => {
      const path = join(dir, `${name}.safetensors`);
      await writeFile(path, Buffer.from(bytes, 'base64'));
      const opening = SafetensorsFile.open(path);
      if (!python.ok) {
        await expect(opening).rejects.toThrow(REJECTIONS[name]);
        await expect(opening).rejects.toThrow(path);
        return;
      }
      const file = await opening;
      try {
        expect(file.keys().sort()).toEqual(python.keys);
        expect(file.metadata).toEqual(python.metadata ?? {});
      } finally {
        await file.close();
      }
    });
  }
});

describe('valid files with dtypes this reader does not decode', () => {
  it('opens them and names the dtype when a tensor of it is read', async () => {
    const u16 = cases.find((c) => c.name === 'valid-undecodable-dtype-u16')!;
    const path = join(dir, 'u16.safetensors');
    await writeFile(path, Buffer.from(u16.bytes, 'base64'));
    const file = await SafetensorsFile.open(path);
    expect(file.info('a')).toEqual({ name: 'a', dtype: 'U16', shape: [2], dataOffsets: [0, 4] });
    await expect(file.read('a')).rejects.toThrow(/u16\.safetensors \[tensor 'a'\]: dtype U16 is valid safetensors but this reader decodes only F64, F32/);
    await file.close();
  });
});
