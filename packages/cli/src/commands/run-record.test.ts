import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunRecord, RUN_FILE, writeRunRecord } from './run-record.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-run-record-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('run.json', () => {
  it('reads back what was written; a run without one gives null', async () => {
    const record = { cache: '/data/cache', resume: 'dit train --cache /data/cache --out runs/x --resume', vae: 'pixel:8', textEncoder: 'random:tiny:0' };
    await writeRunRecord(dir, record);
    expect(await readRunRecord(dir)).toEqual(record);
    expect(await readRunRecord(join(dir, 'elsewhere'))).toBeNull();
  });

  it('names the file and the field when it is damaged', async () => {
    await writeFile(join(dir, RUN_FILE), '{"cache": "/data/ca');
    await expect(readRunRecord(dir)).rejects.toThrow(`${join(dir, RUN_FILE)}: cannot read it as JSON`);
    await writeFile(join(dir, RUN_FILE), JSON.stringify({ cache: '/c', resume: 'dit train', vae: 8, textEncoder: 't' }));
    await expect(readRunRecord(dir)).rejects.toThrow(`${join(dir, RUN_FILE)}: 'vae' must be a string, got 8`);
  });
});
