import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveModelFiles, type ResolveModelFilesOptions } from './resolve.js';
import { FakeHub } from './testing/fake-hub.js';

const MAIN = '1'.repeat(40);
const V1 = '2'.repeat(40);
const WEIGHTS = new Uint8Array(3 * 2 ** 20).map((_, i) => (i * 31) % 251); // 3 MB, served through the storage host

const hub = new FakeHub({
  'org/vae': {
    refs: { main: MAIN, v1: V1 },
    commits: {
      [MAIN]: { 'config.json': { content: '{"rev":"main"}' }, 'model.safetensors': { content: WEIGHTS, lfs: true }, 'README.md': { content: 'hi' } },
      [V1]: { 'config.json': { content: '{"rev":"v1"}' } },
    },
  },
  'org/big': {
    refs: { main: MAIN },
    commits: { [MAIN]: { 'model.safetensors': { content: new Uint8Array(17 * 2 ** 20), lfs: true } } },
  },
  'org/gated': {
    refs: { main: MAIN },
    commits: { [MAIN]: { 'config.json': { content: '{"gated":true}' } } },
    gatedToken: 'hf_good',
  },
});

beforeAll(() => hub.start());
afterAll(() => hub.stop());

function options(extra: Partial<ResolveModelFilesOptions> & Pick<ResolveModelFilesOptions, 'files'>): ResolveModelFilesOptions {
  return { cacheDir: mkdtempSync(join(tmpdir(), 'dit-hf-dl-')), hubUrl: hub.url, env: {}, ...extra };
}

describe('resolveModelFiles: downloads from a (fake) hub', () => {
  it('downloads only the selected files into the Python cache layout, then serves them from the cache', async () => {
    const opts = options({ files: (listing) => listing.filter((f) => f !== 'README.md') });
    const before = hub.requests.length;
    const got = await resolveModelFiles('org/vae', opts);
    expect(got.source).toBe('download');
    expect(got.commit).toBe(MAIN);
    expect(Object.keys(got.files)).toEqual(['config.json', 'model.safetensors']);
    expect(Buffer.compare(readFileSync(got.files['model.safetensors']), WEIGHTS)).toBe(0); // (toEqual on 3 MB is slow)
    expect(readFileSync(got.files['config.json'], 'utf8')).toBe('{"rev":"main"}');

    const repo = join(opts.cacheDir!, 'models--org--vae');
    const sha256 = createHash('sha256').update(WEIGHTS).digest('hex');
    const gitSha = createHash('sha1').update('{"rev":"main"}').digest('hex');
    expect(readdirSync(join(repo, 'blobs')).sort()).toEqual([gitSha, sha256].sort()); // no .incomplete left
    const link = join(repo, 'snapshots', MAIN, 'model.safetensors');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(`../../blobs/${sha256}`);
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(MAIN);
    expect(existsSync(join(repo, 'snapshots', MAIN, 'README.md'))).toBe(false);
    // The LFS bytes came from the storage host.
    expect(hub.requests.slice(before).some((r) => r.host === 'storage' && r.method === 'GET')).toBe(true);

    const count = hub.requests.length;
    const again = await resolveModelFiles('org/vae', { ...opts, files: ['config.json', 'model.safetensors'] });
    expect(again.source).toBe('cache');
    expect(hub.requests.length).toBe(count);
  });

  it('pins a revision (tag) to its commit and writes refs/<tag>', async () => {
    const opts = options({ files: ['config.json'], revision: 'v1' });
    const got = await resolveModelFiles('org/vae', opts);
    expect(got.commit).toBe(V1);
    expect(readFileSync(got.files['config.json'], 'utf8')).toBe('{"rev":"v1"}');
    expect(readFileSync(join(opts.cacheDir!, 'models--org--vae', 'refs', 'v1'), 'utf8')).toBe(V1);
    await expect(resolveModelFiles('org/vae', options({ files: ['config.json'], revision: 'nope' }))).rejects.toMatchObject({ kind: 'revision-not-found' });
  });

  it('names a file the repository does not have', async () => {
    await expect(resolveModelFiles('org/vae', options({ files: ['config.json', 'vae/missing.safetensors'] }))).rejects.toThrow(
      /org\/vae@main: the repository has no vae\/missing.safetensors \(it holds: README.md, config.json, model.safetensors\)/,
    );
  });

  it('gated model: 401 without a token says to accept the licence and set HF_TOKEN; a token works', async () => {
    const denied = resolveModelFiles('org/gated', options({ files: ['config.json'] }));
    await expect(denied).rejects.toMatchObject({ kind: 'gated', status: 401 });
    await expect(denied).rejects.toThrow(/org\/gated: access denied \(HTTP 401\).*accept its licence at http:\/\/127\.0\.0\.1:\d+\/org\/gated.*set HF_TOKEN/);
    const wrongToken = resolveModelFiles('org/gated', options({ files: ['config.json'], token: 'hf_bad' }));
    await expect(wrongToken).rejects.toThrow(/the token in use has no access/);
    const got = await resolveModelFiles('org/gated', options({ files: ['config.json'], env: { HF_TOKEN: 'hf_good' } }));
    expect(readFileSync(got.files['config.json'], 'utf8')).toBe('{"gated":true}');
  });

  it('sends the token to the hub but never to the storage host', async () => {
    const before = hub.requests.length;
    await resolveModelFiles('org/vae', options({ files: ['model.safetensors'], token: 'hf_secret' }));
    const seen = hub.requests.slice(before);
    expect(seen.filter((r) => r.host === 'hub').every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(seen.filter((r) => r.host === 'storage').map((r) => r.authorization)).toEqual([undefined]);
  });

  it('reports progress on stderr for large files', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await resolveModelFiles('org/vae', options({ files: ['model.safetensors'], progressMinBytes: 2 ** 20 }));
    } finally {
      spy.mockRestore();
    }
    expect(lines.join('')).toMatch(/downloading org\/vae\/model.safetensors \(MB\) 3\/3 \(100%\)/);
  });

  it('reports progress by default from 16 MB (progressMinBytes left unset or undefined)', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await resolveModelFiles('org/vae', options({ files: ['model.safetensors'] }));
      await resolveModelFiles('org/big', options({ files: ['model.safetensors'], progressMinBytes: undefined }));
    } finally {
      spy.mockRestore();
    }
    expect(lines.join('')).not.toMatch(/org\/vae/);
    expect(lines.join('')).toMatch(/downloading org\/big\/model.safetensors \(MB\) 17\/17 \(100%\)/);
  });

  it('offline mode never calls the server', async () => {
    const before = hub.requests.length;
    await expect(resolveModelFiles('org/vae', options({ files: ['config.json'], env: { HF_HUB_OFFLINE: '1' } }))).rejects.toMatchObject({ kind: 'offline' });
    await expect(resolveModelFiles('org/vae', options({ files: ['config.json'], localFilesOnly: true }))).rejects.toMatchObject({ kind: 'offline' });
    expect(hub.requests.length).toBe(before);
  });

  it('reports an unreachable hub as a network error', async () => {
    await expect(resolveModelFiles('org/vae', options({ files: ['config.json'], hubUrl: 'http://127.0.0.1:9' }))).rejects.toMatchObject({ kind: 'network' });
  });
});
