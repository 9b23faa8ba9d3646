import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverPairs, readCaption } from './discover.js';
import { SourceError } from './report.js';
import { copyFixtures, FIXTURE_DIR, removeTempDirs, tempDir } from './test-utils/fixtures.js';

afterAll(removeTempDirs);

describe('discoverPairs', () => {
  it('finds every fixture image with its caption, in natural order', async () => {
    const pairs = await discoverPairs({ datasetDir: FIXTURE_DIR });
    expect(pairs.map((p) => p.imageFile)).toEqual(['1.png', '2.jpg', '5.png', '14.webp', '29.png', '103.png', '109.png', '164.png']);
    for (const pair of pairs) expect(pair.captionPath).toBe(join(FIXTURE_DIR, `${pair.stem}.txt`));
  });

  it('skips hidden files and other extensions, matches extensions in any case, notes missing captions', async () => {
    const dir = await tempDir('discover');
    await copyFixtures(dir, ['5']);
    await writeFile(join(dir, '._5.png'), 'macOS resource fork');
    await writeFile(join(dir, 'notes.md'), '# not an image');
    await writeFile(join(dir, 'LOUD.JPEG'), 'bytes');
    await writeFile(join(dir, 'other.png'), 'bytes');
    await writeFile(join(dir, 'other.caption'), 'a caption');
    const pairs = await discoverPairs({ datasetDir: dir });
    expect(pairs.map((p) => [p.imageFile, p.captionPath && p.captionPath.slice(dir.length + 1)])).toEqual([
      ['5.png', '5.txt'],
      ['LOUD.JPEG', null],
      ['other.png', null],
    ]);
    const withCaption = await discoverPairs({ datasetDir: dir, captionExtensions: ['.txt', '.caption'] });
    expect(withCaption[2].captionPath).toBe(join(dir, 'other.caption'));
  });

  it('names a missing dataset folder', async () => {
    await expect(discoverPairs({ datasetDir: join(FIXTURE_DIR, 'nope') })).rejects.toThrow(/datasetDir .*nope: /);
  });
});

describe('readCaption', () => {
  it('trims whitespace and a byte-order mark', async () => {
    const dir = await tempDir('caption');
    await writeFile(join(dir, 'a.txt'), '\uFEFF  A macro shot of a rose.\n\n');
    expect(await readCaption({ stem: 'a', imageFile: 'a.png', imagePath: join(dir, 'a.png'), captionPath: join(dir, 'a.txt') })).toBe(
      'A macro shot of a rose.',
    );
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
