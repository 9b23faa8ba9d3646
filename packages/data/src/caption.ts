import { readFile } from 'node:fs/promises';
import type { SourcePair } from './discover.js';
import { SourceError } from './report.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The caption of a pair as the original read it (Python's text mode, then `.strip()`): UTF-8,
 * `\r\n` and lone `\r` turned into `\n` (universal newlines), surrounding whitespace trimmed;
 * a byte-order mark is also removed. Missing, empty or undecodable captions throw a `SourceError`.
 */
export async function readCaption(pair: SourcePair): Promise<string> {
  if (!pair.captionPath) throw new SourceError('missing-caption', `${pair.imageFile}: no caption file ${pair.stem}.txt beside it`);
  let text: string;
  try {
    text = utf8.decode(await readFile(pair.captionPath));
  } catch (error) {
    throw new SourceError('unreadable-caption', `${pair.captionPath}: cannot read caption: ${(error as Error).message}`);
  }
  const caption = normaliseNewlines(text.replace(/^\uFEFF/, '')).trim();
  if (caption.length === 0) throw new SourceError('empty-caption', `${pair.captionPath}: caption is empty`);
  return caption;
}

/** Python's universal newlines: `\r\n` and `\r` become `\n`. */
export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
