import { withDefaults } from '@dit/core';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { compareNatural } from './internals/natural-sort.js';
import { SourceError } from './report.js';

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

export interface DiscoverPairsOptions {
  datasetDir: string;
  /** Image extensions, matched case-insensitively. Default png, jpg, jpeg, webp. */
  imageExtensions?: readonly string[];
  /** Caption extensions tried in order. Default ['.txt']; the later original also tried '.caption'. */
  captionExtensions?: readonly string[];
}

export const DISCOVER_PAIRS_DEFAULTS = {
  imageExtensions: ['.png', '.jpg', '.jpeg', '.webp'],
  captionExtensions: ['.txt'],
} as const;

/**
 * Lists the images of a folder (not its subfolders; hidden files such as macOS `._x.png` are
 * skipped) in natural order, each with its same-stem caption file.
 */
export async function discoverPairs(options: DiscoverPairsOptions): Promise<SourcePair[]> {
  const { datasetDir, imageExtensions, captionExtensions } = withDefaults(DISCOVER_PAIRS_DEFAULTS, options);
  let names: string[];
  try {
    if (!(await stat(datasetDir)).isDirectory()) throw new Error('not a folder');
    names = await readdir(datasetDir);
  } catch (error) {
    throw new Error(`datasetDir ${datasetDir}: ${(error as Error).message}`);
  }
  const present = new Set(names);
  const imageExts = imageExtensions.map((e) => e.toLowerCase());
  return names
    .filter((name) => !name.startsWith('.') && imageExts.includes(extname(name).toLowerCase()))
    .sort(compareNatural)
    .map((imageFile) => {
      const stem = imageFile.slice(0, imageFile.length - extname(imageFile).length);
      const caption = captionExtensions.map((ext) => stem + ext).find((name) => present.has(name));
      return { stem, imageFile, imagePath: join(datasetDir, imageFile), captionPath: caption ? join(datasetDir, caption) : null };
    });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The caption of a pair: UTF-8, byte-order mark removed, surrounding whitespace trimmed (as the
 * original's `.strip()`). Missing, empty or undecodable captions throw a `SourceError`.
 */
export async function readCaption(pair: SourcePair): Promise<string> {
  if (!pair.captionPath) throw new SourceError('missing-caption', `${pair.imageFile}: no caption file ${pair.stem}.txt beside it`);
  let text: string;
  try {
    text = utf8.decode(await readFile(pair.captionPath));
  } catch (error) {
    throw new SourceError('unreadable-caption', `${pair.captionPath}: cannot read caption: ${(error as Error).message}`);
  }
  const caption = text.replace(/^\uFEFF/, '').trim();
  if (caption.length === 0) throw new SourceError('empty-caption', `${pair.captionPath}: caption is empty`);
  return caption;
}
