import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName, removeTempFiles, tempPathFor, tempWriterPid } from './temp-files.js';

describe('temporary files', () => {
  it('are hidden siblings of their target that removeTempFiles recognises and clears', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dit-temp-'));
    try {
      const temp = tempPathFor(join(dir, 'model.safetensors'));
      expect(dirname(temp)).toBe(dir);
      expect(basename(temp)).toMatch(new RegExp(`^\\.model\\.safetensors\\.${process.pid}\\.[0-9a-z]+\\.tmp$`));
      expect(isTempFileName(basename(temp))).toBe(true);
      // Other hidden files and a user's own *.tmp stay.
      for (const name of [basename(temp), '.hidden', 'notes.tmp', '.manifest.json']) await writeFile(join(dir, name), 'x');
      expect(await removeTempFiles(dir)).toEqual([basename(temp)]);
      expect((await readdir(dir)).sort()).toEqual(['.hidden', '.manifest.json', 'notes.tmp']);
      // Folders too (a checkpoint being written); with keepLiveWriters, those of a running writer stay.
      const ours = tempPathFor(join(dir, 'epoch-0001-step-0000010'));
      const live = join(dir, `.epoch-0002-step-0000020.${process.ppid}.abc.tmp`);
      const dead = join(dir, '.epoch-0003-step-0000030.999999999.abc.tmp');
      for (const folder of [ours, live, dead]) await mkdir(join(folder, 'inner'), { recursive: true });
      expect(tempWriterPid(basename(live))).toBe(process.ppid);
      expect((await removeTempFiles(dir, { keepLiveWriters: true })).sort()).toEqual([basename(dead), basename(ours)].sort());
      expect(await removeTempFiles(dir)).toEqual([basename(live)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
