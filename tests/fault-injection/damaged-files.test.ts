import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../packages/cli/src/errors.js';
import { runCli } from '../../packages/cli/src/main.js';
import { capture } from '../../packages/cli/src/test-capture.js';

// Damaged checkpoints (each kind) met by `dit train --resume`, and malformed safetensors files
// (each rule of the Python package, packages/core/fixtures/safetensors-validation.json) met by
// `dit info`: every one is reported by name with a clear message, and nothing is changed.
const repo = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
let run: string;
let checkpoints: string[];
const cache = () => join(dir, 'cache');
const trainArgs = (out: string) => ['train', '--cache', cache(), '--out', out, '--preset', 'tiny', '--epochs', '3', '--batch-size', '4', '--no-progress'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-fault-files-'));
  await cp(join(repo, 'packages/data/fixtures/flowers'), join(dir, 'dataset'), { recursive: true });
  const preprocess = ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', cache(), '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64', '--max-length', '16'];
  expect(await runCli(preprocess, capture().io)).toBe(EXIT.ok);
  run = join(dir, 'run');
  expect(await runCli(trainArgs(run), capture().io)).toBe(EXIT.ok);
  checkpoints = (await readdir(join(run, 'checkpoints'))).sort();
  expect(checkpoints.length).toBe(3);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function snapshot(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(folder, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

/** Damage done to the newest checkpoint's files, and the problem the message must name. */
const DAMAGES: [kind: string, damage: (checkpoint: string) => Promise<void>, problem: RegExp][] = [
  ['state.json cut in half', async (c) => truncate(join(c, 'state.json'), (await stat(join(c, 'state.json'))).size >> 1), /state\.json is not valid JSON/],
  ['state.json missing', (c) => rm(join(c, 'state.json')), /state\.json is missing/],
  ['model.safetensors missing', (c) => rm(join(c, 'model.safetensors')), /model\.safetensors is missing/],
  ['optimizer.safetensors truncated', (c) => truncate(join(c, 'optimizer.safetensors'), 100), /optimizer\.safetensors is 100 bytes, \d+ when it was saved/],
  [
    'ema.safetensors with a flipped byte',
    async (c) => {
      const bytes = await readFile(join(c, 'ema.safetensors'));
      bytes[bytes.length - 1] ^= 1;
      await writeFile(join(c, 'ema.safetensors'), bytes);
    },
    /ema\.safetensors does not match the sha256 recorded when it was saved/,
  ],
  [
    'model.safetensors header garbled',
    async (c) => {
      const bytes = await readFile(join(c, 'model.safetensors'));
      bytes.write('}', 8);
      await writeFile(join(c, 'model.safetensors'), bytes);
    },
    /model\.safetensors is not a valid safetensors file \(header is not valid JSON/,
  ],
  [
    'config.json garbled, same size',
    async (c) => {
      const bytes = await readFile(join(c, 'config.json'));
      bytes[0] = 0x78;
      await writeFile(join(c, 'config.json'), bytes);
    },
    /config\.json is not valid JSON/,
  ],
];

describe('fault injection: damaged checkpoints on dit train --resume', () => {
  for (const [kind, damage, problem] of DAMAGES) {
    it(`${kind}: exit 1, the checkpoint and problem named, the previous good one suggested, nothing changed`, async () => {
      const copy = join(dir, kind.replace(/\W+/g, '-'));
      await cp(run, copy, { recursive: true });
      await rm(join(copy, 'final'), { recursive: true });
      const [, previous, newest] = checkpoints;
      await damage(join(copy, 'checkpoints', newest));
      const before = await snapshot(copy);
      const io = capture();
      expect(await runCli([...trainArgs(copy), '--resume'], io.io)).toBe(EXIT.failure);
      const message = io.err.join('\n');
      expect(message).toMatch(new RegExp(`error: cannot resume: checkpoint ${newest} is damaged:\\n  ${newest}: ${problem.source}`));
      expect(message).toContain(`The newest good checkpoint is ${previous}`);
      expect(message).toMatch(/--resume-fallback/);
      expect(await snapshot(copy)).toEqual(before);
    });
  }
});

interface ValidationCase {
  name: string;
  bytes: string;
  python: { ok: boolean };
}

describe('fault injection: malformed safetensors files on dit info', async () => {
  const fixture = JSON.parse(await readFile(join(repo, 'packages/core/fixtures/safetensors-validation.json'), 'utf8')) as { cases: ValidationCase[] };
  it(`each of the ${fixture.cases.length} files: refused with the file named exactly when Python refuses it`, async () => {
    const verdicts: string[] = [];
    for (const { name, bytes, python } of fixture.cases) {
      const path = join(dir, `${name}.safetensors`);
      await writeFile(path, Buffer.from(bytes, 'base64'));
      const io = capture();
      const code = await runCli(['info', path], io.io);
      const message = io.err.join('\n');
      if (python.ok) {
        if (code !== EXIT.ok) verdicts.push(`${name}: Python accepts it, dit info exits ${code}: ${message}`);
      } else if (code !== EXIT.failure || !message.startsWith(`error: ${path}`)) {
        verdicts.push(`${name}: Python refuses it, dit info exits ${code}: ${message || io.out.join(' ')}`);
      }
    }
    expect(verdicts).toEqual([]);
  });
});
