import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { readCacheEntry, readManifest, verifyCache } from '@dit/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../packages/cli/src/errors.js';
import { runCli } from '../../packages/cli/src/main.js';
import { capture } from '../../packages/cli/src/test-capture.js';

// `dit preprocess` killed with SIGKILL (twice half way through writing an entry, once at a seeded
// random time) and run again each time must end with exactly the cache of an uninterrupted run,
// and at every kill nothing may be half written under a real name. DIT_FAULT_SEED=<n> replays
// another set of kill points.
const SEED = Number(process.env.DIT_FAULT_SEED ?? 14);
const KILLS = 3;

const repo = fileURLToPath(new URL('../../', import.meta.url));
const runner = join(repo, 'packages/train/src/test-support/run-ts.mjs');
const child = join(repo, 'tests/fault-injection/support/cli-child.ts');
const childKilledInWrite = join(repo, 'tests/fault-injection/support/cli-child-killed-in-write.ts');
const flowers = join(repo, 'packages/data/fixtures/flowers');

let dir: string;
// 8 images, each with a mirrored copy: 16 entries written two at a time by a tiny AutoencoderKL
// drawing posterior samples (each entry's noise seeded by its name) and the random text encoder,
// so a resumed cache can be compared byte for byte with an uninterrupted one.
const preprocessArgs = (cache: string) => [
  'preprocess',
  '--dataset',
  join(dir, 'dataset'),
  '--cache',
  cache,
  '--text-encoder',
  'random:tiny',
  '--vae',
  join(repo, 'packages/encoders/fixtures/vae/tiny'),
  '--buckets',
  '64x64,48x80,80x48',
  '--max-length',
  '16',
  '--flip',
  'all',
  '--batch-size',
  '2',
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-fault-preprocess-'));
  await cp(flowers, join(dir, 'dataset'), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const isTemp = (name: string) => name.startsWith('.') && name.endsWith('.tmp');
const isEntry = (name: string) => !name.startsWith('.') && name.endsWith('.safetensors');
const list = (cache: string) => readdir(cache).catch(() => [] as string[]);

/**
 * When to kill: in the middle of the attempt's `write`-th entry file (the child kills itself after
 * writing its header), or once `entries` more entry files exist, then `delayMs` on.
 */
type KillPoint = { write: number } | { entries: number; delayMs: number };

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs `dit <argv>` in a child process, watching the cache folder to SIGKILL it at `kill`. */
function runChild(argv: string[], cache: string, kill: KillPoint): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const inWrite = 'write' in kill;
    const env = { ...process.env, DIT_BACKEND: tf.getBackend(), ...(inWrite ? { DIT_FAULT_KILL_IN_WRITE: String(kill.write) } : {}) };
    const proc = spawn(process.execPath, [runner, inWrite ? childKilledInWrite : child, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stderr = '';
    let done = false;
    proc.stdout.resume();
    proc.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const watch = async (after: { entries: number; delayMs: number }) => {
      const start = (await list(cache)).filter(isEntry).length;
      while (!done) {
        if ((await list(cache)).filter(isEntry).length - start >= after.entries) {
          await new Promise((r) => setTimeout(r, after.delayMs));
          proc.kill('SIGKILL');
          return;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    if (!('write' in kill)) void watch(kill);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stderr });
    });
  });
}

/** What must hold at any moment: every entry under a real name reads whole, the manifest (if any) parses. */
async function expectNothingHalfWritten(cache: string, when: string): Promise<void> {
  for (const name of (await list(cache)).filter(isEntry)) {
    await expect(readCacheEntry(join(cache, name)).then(() => 'read'), `${when}: ${name}`).resolves.toBe('read');
  }
  if ((await list(cache)).includes('manifest.json')) await expect(readManifest(cache).then(() => 'read'), `${when}: manifest.json`).resolves.toBe('read');
}

describe('fault injection: dit preprocess killed at random points', () => {
  it(`SIGKILL ${KILLS} times (seed ${SEED}), twice in a write, and run again each time: the cache of an uninterrupted run`, async () => {
    const straight = join(dir, 'straight');
    expect(await runCli(preprocessArgs(straight), capture().io)).toBe(EXIT.ok);

    const cache = join(dir, 'killed');
    const rng = new Rng(`fault-injection/preprocess/${SEED}`);
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Two kills inside a write, the second in the second entry of a batch of two (so the next run
      // batches the rest differently), then one at a random time.
      const kill: KillPoint = k === 0 ? { write: 1 } : k === 1 ? { write: 2 * (1 + rng.int(3)) } : { entries: 1 + rng.int(6), delayMs: rng.int(40) };
      const attempt = await runChild(preprocessArgs(cache), cache, kill);
      kills.push(`${'write' in kill ? `writing entry ${kill.write}` : `${kill.entries} entries+${kill.delayMs}ms`}: ${attempt.signal ?? `exit ${attempt.code}`}`);
      // An attempt may finish before its kill point; it must never fail.
      expect(attempt.signal === 'SIGKILL' || attempt.code === 0, `attempt ${k} (${kills.at(-1)}):\n${attempt.stderr.slice(-2000)}`).toBe(true);
      expect(attempt.stderr, `attempt ${k}`).not.toMatch(/^error:/m);
      await expectNothingHalfWritten(cache, `after attempt ${k} (${kills.at(-1)})`);
      // A write killed half way leaves its temporary file (the next run removes it), never a file under a real name.
      if ('write' in kill) expect((await list(cache)).filter(isTemp), `attempt ${k}`).toHaveLength(1);
    }
    expect(kills.slice(0, 2).join(), 'the first two kills land in a write').not.toMatch(/exit/);
    const last = capture();
    expect(await runCli(preprocessArgs(cache), last.io), kills.join(', ')).toBe(EXIT.ok);
    console.info(`[fault-injection] preprocess seed ${SEED}: kills ${kills.join(', ')}`);

    // The same entries, byte for byte, the same manifest, no temporary file left, every value finite.
    const names = (await list(cache)).sort();
    expect(names).toEqual((await list(straight)).sort());
    for (const name of names.filter(isEntry)) expect(await readFile(join(cache, name)), name).toEqual(await readFile(join(straight, name)));
    const [resumed, reference] = [await readManifest(cache), await readManifest(straight)];
    expect(resumed.entries).toEqual(reference.entries);
    expect(resumed.settings).toEqual(reference.settings);
    expect(await verifyCache(cache)).toMatchObject({ ok: true, entries: 16, notes: [] });
    expect(JSON.parse(await readFile(join(cache, 'preprocess-report.json'), 'utf8'))).toMatchObject({ ok: true, entries: 16 });
  }, 300_000);
});
