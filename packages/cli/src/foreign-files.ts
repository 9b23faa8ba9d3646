import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { recogniseForeignFormat, TORCH_TO_SAFETENSORS_PYTHON } from '@dit/core';

const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');

/**
 * What a file that is not a safetensors file or model folder is, when its first bytes or names
 * tell (a torch.save checkpoint, a pickle, a Git LFS pointer, an HTML page), with how to get a
 * safetensors file instead; undefined when nothing is recognised.
 */
export function foreignFileNote(path: string): string | undefined {
  const stats = statSync(path);
  if (stats.isDirectory()) {
    const torch = readdirSync(path).filter((name) => /\.(pt|pth|bin|ckpt)$/.test(name));
    if (torch.length === 0) return undefined;
    return `it holds PyTorch files (${torch.join(', ')}), which are pickles and not read here; convert one with Python:\n${indent(TORCH_TO_SAFETENSORS_PYTHON)}`;
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
