import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverPairs, scanDataset } from './discover.js';
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

  it('lists every other name in the folder with the reason it is not used', async () => {
    const dir = await tempDir('discover-all');
    await copyFixtures(dir, ['5', '29']);
    const files: Record<string, string> = {
      '.DS_Store': 'finder',
      '._5.png': 'macOS resource fork',
      'orphan.txt': 'a caption without its image',
      'scan.bmp': 'BM',
      'photo.heic': 'heic',
      'notes.md': '# notes',
      'other.caption': 'a caption in the later original format',
      'UPPER.PNG': 'bytes',
      'UPPER.TXT': 'a caption in capitals',
      'still.tiff': 'bytes',
      'anim.gif': 'bytes',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await mkdir(join(dir, 'more', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'more', 'a.png'), 'x');
    await writeFile(join(dir, 'more', 'deeper', 'b.JPG'), 'x');
    await mkdir(join(dir, 'empty'));
    await mkdir(join(dir, 'folder.png'));
    await mkdir(join(dir, 'cache'));

    const scan = await scanDataset({ datasetDir: dir, cacheDir: join(dir, 'cache') });
    expect(scan.pairs.map((p) => [p.imageFile, p.captionPath && p.captionPath.slice(dir.length + 1)])).toEqual([
      ['5.png', '5.txt'],
      ['29.png', '29.txt'],
      ['anim.gif', null],
      ['still.tiff', null],
      ['UPPER.PNG', 'UPPER.TXT'],
    ]);
    expect(Object.fromEntries(scan.ignored.map((f) => [f.file, f.kind]))).toEqual({
      '.DS_Store': 'hidden',
      '._5.png': 'hidden',
      'cache/': 'subfolder',
      'empty/': 'subfolder',
      'folder.png/': 'subfolder',
      'more/': 'subfolder',
      'notes.md': 'other-file',
      'orphan.txt': 'caption-without-image',
      'other.caption': 'other-file',
      'photo.heic': 'unsupported-format',
      'scan.bmp': 'unsupported-format',
    });
    const message = (file: string) => scan.ignored.find((f) => f.file === file)!.message;
    expect(message('more/')).toBe(
      `${join(dir, 'more')}/: a subfolder holding 2 image files, not searched: preprocess reads only the top level of the dataset folder, as the original did (move the images up, or preprocess the subfolder as a dataset of its own)`,
    );
    expect(message('cache/')).toMatch(/the cache folder/);
    expect(message('scan.bmp')).toBe(`${join(dir, 'scan.bmp')}: .bmp images are not read (formats read: .png, .jpg, .jpeg, .webp, .gif, .tif, .tiff, .avif); convert it, e.g. to PNG`);
    expect(message('orphan.txt')).toMatch(/orphan\.txt: a caption with no image orphan\.png/);
    expect(message('other.caption')).toMatch(/add '\.caption' to captionExtensions/);
    // Nothing is left out silently: every name is a source, a caption in use, or listed.
    const accounted = new Set([...scan.pairs.flatMap((p) => [p.imageFile, p.captionPath?.slice(dir.length + 1)]), ...scan.ignored.map((f) => f.file.replace(/\/$/, ''))]);
    const { readdir } = await import('node:fs/promises');
    for (const name of await readdir(dir)) expect(accounted, name).toContain(name);
  });

  it('names a missing dataset folder', async () => {
    await expect(discoverPairs({ datasetDir: join(FIXTURE_DIR, 'nope') })).rejects.toThrow(/datasetDir .*nope: /);
  });
});

