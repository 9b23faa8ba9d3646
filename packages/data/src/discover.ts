import { withDefaults } from '@dit/core';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { compareNatural } from './internals/natural-sort.js';

/** An image found in the dataset folder and the caption file beside it, if any. */
export interface SourcePair {
  /** File name without extension; names the cache entry. */
  stem: string;
  /** Image file name, relative to the dataset folder. */
  imageFile: string;
  imagePath: string;
  /** Null when no caption file with the same stem exists. */
  captionPath: string | null;
}

/** Why a file of the dataset folder is not a source of the cache. */
export type IgnoredKind = 'subfolder' | 'hidden' | 'caption-without-image' | 'unsupported-format' | 'other-file';

/** A file or folder of the dataset folder that preprocess does not use, and why. */
export interface IgnoredFile {
  /** Name inside the dataset folder (a folder ends with '/'). */
  file: string;
  kind: IgnoredKind;
  /** A sentence naming the file, the reason and what to do about it. */
  message: string;
}

export interface DiscoverPairsOptions {
  datasetDir: string;
  /** Image extensions, matched case-insensitively. Default png, jpg, jpeg, webp, gif, tif, tiff, avif. */
  imageExtensions?: readonly string[];
  /** Caption extensions tried in order (the exact name first, then any case). Default ['.txt']; the later original also tried '.caption'. */
  captionExtensions?: readonly string[];
  /** Named as "the cache folder" when it sits inside the dataset folder. */
  cacheDir?: string;
}

export const DISCOVER_PAIRS_DEFAULTS = {
  imageExtensions: ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif'],
  captionExtensions: ['.txt'],
} as const;

/** Image formats people keep beside their pictures that sharp (and so preprocess) does not read, or not by default. */
const OTHER_IMAGE_EXTENSIONS = ['.bmp', '.heic', '.heif', '.jxl', '.svg', '.psd', '.ico', '.jp2', '.exr', '.hdr', '.tga', '.dng', '.cr2', '.nef', '.arw', '.ppm', '.pgm', '.pnm', '.qoi'];

/** Everything found in a dataset folder: the image/caption pairs, and every other name with the reason it is not used. */
export interface DatasetScan {
  pairs: SourcePair[];
  ignored: IgnoredFile[];
}

async function countImagesBelow(dir: string, imageExts: readonly string[]): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) count += await countImagesBelow(join(dir, entry.name), imageExts);
    else if (imageExts.includes(extname(entry.name).toLowerCase())) count++;
  }
  return count;
}

/**
 * Lists a dataset folder: every image (accepted extension, any case) with its same-stem caption,
 * in natural order, and every other name with why it is not used. Subfolders are not searched,
 * as the original's `os.listdir` did not: their images would need names that cannot collide in
 * the cache, and folders such as `rejected/` are often kept beside a dataset on purpose.
 */
export async function scanDataset(options: DiscoverPairsOptions): Promise<DatasetScan> {
  const { datasetDir, imageExtensions, captionExtensions, cacheDir } = withDefaults(DISCOVER_PAIRS_DEFAULTS, options);
  let names: string[];
  try {
    if (!(await stat(datasetDir)).isDirectory()) throw new Error('not a folder');
    names = await readdir(datasetDir);
  } catch (error) {
    throw new Error(`datasetDir ${datasetDir}: ${(error as Error).message}`);
  }
  names.sort(compareNatural);
  const imageExts = imageExtensions.map((e) => e.toLowerCase());
  const captionExts = captionExtensions.map((e) => e.toLowerCase());
  const present = new Set(names);
  const lowerCase = new Map<string, string>();
  for (const name of names) if (!lowerCase.has(name.toLowerCase())) lowerCase.set(name.toLowerCase(), name);
  const accepted = imageExts.join(', ');

  const pairs: SourcePair[] = [];
  const ignored: IgnoredFile[] = [];
  const captionsUsed = new Set<string>();
  const folders = new Set<string>();
  for (const name of names) {
    const isFolder = await stat(join(datasetDir, name)).then(
      (s) => s.isDirectory(),
      () => false, // a broken link or a file that vanished: left to the steps that read it
    );
    if (isFolder) folders.add(name);
  }
  for (const name of names) {
    if (name.startsWith('.') || folders.has(name)) continue;
    if (!imageExts.includes(extname(name).toLowerCase())) continue;
    const stem = name.slice(0, name.length - extname(name).length);
    const caption =
      captionExtensions.map((ext) => stem + ext).find((candidate) => present.has(candidate)) ??
      captionExts.map((ext) => lowerCase.get((stem + ext).toLowerCase())).find((candidate) => candidate !== undefined && !folders.has(candidate));
    if (caption) captionsUsed.add(caption);
    pairs.push({ stem, imageFile: name, imagePath: join(datasetDir, name), captionPath: caption ? join(datasetDir, caption) : null });
  }
  const ignore = (file: string, kind: IgnoredKind, message: string) => ignored.push({ file, kind, message });
  for (const name of names) {
    const ext = extname(name).toLowerCase();
    const path = join(datasetDir, name);
    if (folders.has(name)) {
      if (cacheDir !== undefined && resolve(path) === resolve(cacheDir)) {
        ignore(`${name}/`, 'subfolder', `${path}/: the cache folder, inside the dataset folder; not searched`);
        continue;
      }
      const images = await countImagesBelow(path, imageExts);
      ignore(
        `${name}/`,
        'subfolder',
        `${path}/: a subfolder${images ? ` holding ${images} image file${images === 1 ? '' : 's'}` : ''}, not searched: preprocess reads only the top level of the dataset folder, as the original did (move the images up, or preprocess the subfolder as a dataset of its own)`,
      );
    } else if (name.startsWith('.')) {
      ignore(name, 'hidden', `${path}: a hidden file (the name starts with '.'), skipped`);
    } else if (imageExts.includes(ext) || captionsUsed.has(name)) {
      continue;
    } else if (captionExts.includes(ext)) {
      const stem = name.slice(0, name.length - ext.length);
      ignore(name, 'caption-without-image', `${path}: a caption with no image ${stem}${imageExts[0]} (or ${imageExts.slice(1).join(', ')}) beside it`);
    } else if (OTHER_IMAGE_EXTENSIONS.includes(ext)) {
      ignore(name, 'unsupported-format', `${path}: ${ext} images are not read (formats read: ${accepted}); convert it, e.g. to PNG`);
    } else if (ext === '.caption' || ext === '.txt') {
      ignore(name, 'other-file', `${path}: not read as a caption (caption extensions: ${captionExtensions.join(', ')}); add '${ext}' to captionExtensions to use it`);
    } else {
      ignore(name, 'other-file', `${path}: neither an image (${accepted}) nor a caption (${captionExtensions.join(', ')})`);
    }
  }
  return { pairs, ignored };
}

/** The images of a dataset folder with their captions (see `scanDataset`, which also lists what is left out). */
export async function discoverPairs(options: DiscoverPairsOptions): Promise<SourcePair[]> {
  return (await scanDataset(options)).pairs;
}
