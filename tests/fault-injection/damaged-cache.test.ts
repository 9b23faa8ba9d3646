import { cp, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCacheEntry, writeCacheEntry } from '@dit/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../packages/cli/src/errors.js';
import { runCli } from '../../packages/cli/src/main.js';
import { capture } from '../../packages/cli/src/test-capture.js';

// Damaged cache entries and manifests met by `dit check-cache`, `dit stats` and `dit train`:
// each is reported by name with a clear message, training refuses to start or stops at the
// entry, and `dit preprocess` run again repairs the cache.
const repo = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
const dataset = () => join(dir, 'dataset');
const preprocessArgs = (cache: string) => ['preprocess', '--dataset', dataset(), '--cache', cache, '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64', '--max-length', '16'];
const trainArgs = (cache: string) => ['train', '--cache', cache, '--out', join(cache, '..', 'run'), '--preset', 'tiny', '--epochs', '3', '--batch-size', '8', '--no-progress'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-fault-cache-'));
  await cp(join(repo, 'packages/data/fixtures/flowers'), dataset(), { recursive: true });
  expect(await runCli(preprocessArgs(join(dir, 'cache')), capture().io)).toBe(EXIT.ok);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rewriteEntry(path: string, change: (entry: Awaited<ReturnType<typeof readCacheEntry>>) => void): Promise<void> {
  const entry = await readCacheEntry(path);
  change(entry);
  await writeCacheEntry(path, entry);
}

async function cli(args: string[]) {
  const io = capture();
  const code = await runCli(args, io.io);
  return { code, err: io.err.join('\n'), out: io.out.join('\n') };
}

interface Damage {
  kind: string;
  damage: (cache: string) => Promise<void>;
  /** check-cache's kind of the problem. */
  problemKind: string;
  /** The problem as check-cache and stats name it (a regular expression source; {name} is that entry's path). */
  problem: string;
  /** What train prints on stderr (a regular expression source). */
  train: string;
}

const entry = (cache: string, name: string) => join(cache, `${name}.safetensors`);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const DAMAGES: Damage[] = [
  {
    kind: 'NaN in the latents',
    damage: (c) => rewriteEntry(entry(c, '5'), (e) => void (e.latents.data[9] = Number.NaN)),
    problemKind: 'non-finite',
    problem: '{5}: latents hold 1 NaN of 12288 values \\(the first at index 9\\)',
    train: '^error: {5}: latents hold 1 NaN of 12288 values \\(the first at index 9\\); run preprocess again, which encodes damaged entries anew$',
  },
  {
    kind: 'Inf in the text embeddings',
    damage: (c) => rewriteEntry(entry(c, '29'), (e) => void (e.textEmbeddings.data[3] = -Infinity)),
    problemKind: 'non-finite',
    problem: '{29}: text_embeds hold 1 -Inf of 1024 values \\(the first at index 3\\)',
    train: '^error: {29}: text_embeds hold 1 -Inf of 1024 values \\(the first at index 3\\); run preprocess again',
  },
  {
    kind: 'an entry cut short',
    damage: async (c) => truncate(entry(c, '1'), (await stat(entry(c, '1'))).size - 1000),
    problemKind: 'unreadable',
    problem: '{1}: unreadable cache entry: .*truncated',
    train: '^error: \\S+: 1 of 8 entries cannot be used; run preprocess again, which encodes damaged entries anew .*:\\n  {1}: unreadable cache entry: .*truncated',
  },
  {
    kind: 'an entry with other shapes than the manifest',
    damage: (c) => rewriteEntry(entry(c, '103'), (e) => void (e.latents = { shape: [192, 4, 8], data: new Float32Array(192 * 32) })),
    problemKind: 'shape',
    problem: '{103}: holds latents \\[192, 4, 8\\] and text \\[16, 64\\], the manifest says \\[192, 8, 8\\] and \\[16, 64\\]',
    train: '^error: \\S+: 1 of 8 entries cannot be used; .*\\n  {103}: holds latents \\[192, 4, 8\\] and text \\[16, 64\\], the manifest says \\[192, 8, 8\\]',
  },
  {
    kind: 'an entry missing',
    damage: (c) => rm(entry(c, '14')),
    problemKind: 'unreadable',
    problem: '{14}: unreadable cache entry: .*(ENOENT|no such file)',
    train: '^error: \\S+: 1 of 8 entries cannot be used; .*\\n  {14}: unreadable cache entry: .*(ENOENT|no such file)',
  },
];

const fill = (source: string, cache: string) => source.replace(/\{(\w+)\}/g, (_, name: string) => escape(entry(cache, name)));

describe('fault injection: damaged cache entries', () => {
  for (const { kind, damage, problemKind, problem, train } of DAMAGES) {
    it(`${kind}: named by check-cache and stats, refused by train, repaired by preprocess`, async () => {
      const cache = join(dir, kind.replace(/\W+/g, '-'), 'cache');
      await cp(join(dir, 'cache'), cache, { recursive: true });
      await damage(cache);

      const checked = await cli(['check-cache', cache]);
      expect(checked.code).toBe(EXIT.failure);
      expect(checked.err).toMatch(new RegExp(`^error: ${escape(cache)}: 1 of 8 entries damaged; run preprocess again, which encodes damaged entries anew\\n  error \\(${problemKind}\\): ${fill(problem, cache)}`));
      const stats = await cli(['stats', cache]);
      expect(stats.code).toBe(EXIT.failure);
      expect(stats.err).toMatch(new RegExp(`^error: ${escape(cache)}: 1 of 8 entries are damaged, so the statistics would be meaningless; .*\\n  ${fill(problem, cache)}`));
      const trained = await cli(trainArgs(cache));
      expect(trained.code, trained.err).toBe(EXIT.failure);
      expect(trained.err).toMatch(new RegExp(fill(train, cache), 'm'));

      const repaired = await cli(preprocessArgs(cache));
      expect(repaired.code, repaired.err).toBe(EXIT.ok);
      expect(repaired.out).toMatch(/8 images, 1 entries written, 7 up to date, 0 failed/);
      expect((await cli(['check-cache', cache])).code).toBe(EXIT.ok);
    });
  }
});

describe('fault injection: a damaged manifest', () => {
  const MANIFESTS: [kind: string, damage: (text: string) => string, message: string][] = [
    ['cut in half', (text) => text.slice(0, text.length >> 1), 'manifest.json: not valid JSON \\(.*\\); re-run preprocess\\(\\) to rebuild it'],
    ['of another format', (text) => text.replace('"dit-latent-cache"', '"something-else"'), `manifest.json: format "something-else" version 1, expected 'dit-latent-cache' version 1`],
    ['an entry without its shapes', (text) => text.replace(/"latentShape":\s*\[[^\]]*\],/, ''), 'manifest.json: entries\\[0\\] \\("1.safetensors"\\) lacks file, bucket, latentShape \\[C, h, w\\] or textShape \\[L, dim\\]'],
  ];
  for (const [kind, damage, message] of MANIFESTS) {
    it(`${kind}: named by check-cache, stats and train; preprocess rebuilds it`, async () => {
      const cache = join(dir, `manifest-${kind.replace(/\W+/g, '-')}`, 'cache');
      await cp(join(dir, 'cache'), cache, { recursive: true });
      await writeFile(join(cache, 'manifest.json'), damage(await readFile(join(cache, 'manifest.json'), 'utf8')));
      for (const args of [['check-cache', cache], ['stats', cache], trainArgs(cache)]) {
        const result = await cli(args);
        expect(result.code, args[0]).not.toBe(EXIT.ok);
        expect(result.err, args[0]).toMatch(new RegExp(`^error: (--cache )?${escape(cache)}/${message}`, 'm'));
      }
      const rebuilt = await cli(preprocessArgs(cache));
      expect(rebuilt.code, rebuilt.err).toBe(EXIT.ok);
      expect(rebuilt.out).toMatch(/8 images, 0 entries written, 8 up to date, 0 failed/);
      expect((await cli(['check-cache', cache])).code).toBe(EXIT.ok);
    });
  }
});
