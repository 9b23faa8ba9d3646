import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { recogniseForeignFormat, torchFilesNote } from '@dit/core';

/**
 * What a file that is not a safetensors file or model folder is, when its first bytes or names
 * tell (a torch.save checkpoint, a pickle, a Git LFS pointer, an HTML page), with how to get a
 * safetensors file instead; undefined when nothing is recognised.
 */
export function foreignFileNote(path: string): string | undefined {
  const stats = statSync(path);
  if (stats.isDirectory()) {
    const torch = torchFilesNote(readdirSync(path));
    return torch && `it holds ${torch}`;
  }
  const head = new Uint8Array(32);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const foreign = recogniseForeignFormat(head.subarray(0, Math.min(head.length, stats.size)));
  return foreign && `this is ${foreign.kind}; ${foreign.advice}`;
}
