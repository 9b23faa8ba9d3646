import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaption } from './caption.js';
import { SourceError } from './report.js';
import { removeTempDirs, tempDir } from './test-utils/fixtures.js';

afterAll(removeTempDirs);

describe('readCaption', () => {
  it('trims whitespace and a byte-order mark', async () => {
    const dir = await tempDir('caption');
    await writeFile(join(dir, 'a.txt'), '\uFEFF  A macro shot of a rose.\n\n');
    expect(await readCaption({ stem: 'a', imageFile: 'a.png', imagePath: join(dir, 'a.png'), captionPath: join(dir, 'a.txt') })).toBe(
      'A macro shot of a rose.',
    );
  });

  it("turns \\r\\n and lone \\r into \\n, as Python's text mode (universal newlines) did for the original", async () => {
    const dir = await tempDir('caption-newlines');
    await writeFile(join(dir, 'a.txt'), 'A rose.\r\nRed petals.\rGreen leaves.\n\r\n');
    expect(await readCaption({ stem: 'a', imageFile: 'a.png', imagePath: join(dir, 'a.png'), captionPath: join(dir, 'a.txt') })).toBe('A rose.\nRed petals.\nGreen leaves.');
  });

  it('reports missing, empty and undecodable captions with their kind and file', async () => {
    const dir = await tempDir('caption-bad');
    await writeFile(join(dir, 'empty.txt'), ' \n\t');
    await writeFile(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const pair = (stem: string, caption: boolean) => ({
      stem,
      imageFile: `${stem}.png`,
      imagePath: join(dir, `${stem}.png`),
      captionPath: caption ? join(dir, `${stem}.txt`) : null,
    });
    const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: SourceError) => [error.kind, error.message]);
    expect(await failure(readCaption(pair('gone', false)))).toEqual(['missing-caption', 'gone.png: no caption file gone.txt beside it']);
    expect(await failure(readCaption(pair('empty', true)))).toEqual(['empty-caption', `${join(dir, 'empty.txt')}: caption is empty`]);
    const [kind, message] = (await failure(readCaption(pair('latin1', true))))!;
    expect(kind).toBe('unreadable-caption');
    expect(message).toMatch(/latin1\.txt: cannot read caption/);
  });
});
