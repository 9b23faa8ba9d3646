import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { HubError } from './errors.js';
import { resolveModelFiles } from './resolve.js';

const MAIN = 'a'.repeat(40);
const V1 = 'b'.repeat(40);

/** A cache laid out as Python's huggingface_hub writes it: blobs, snapshots of relative links, refs. */
function pythonCache(): string {
  const cache = mkdtempSync(join(tmpdir(), 'dit-hf-cache-'));
  const repo = join(cache, 'models--org--vae');
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  const put = (commit: string, file: string, etag: string, content: string) => {
    writeFileSync(join(repo, 'blobs', etag), content);
    const dir = join(repo, 'snapshots', commit, ...file.split('/').slice(0, -1));
    mkdirSync(dir, { recursive: true });
    const depth = file.split('/').length + 1;
    symlinkSync(`${'../'.repeat(depth)}blobs/${etag}`, join(repo, 'snapshots', commit, file));
  };
  put(MAIN, 'config.json', 'e1', '{"main":true}');
  put(MAIN, 'vae/config.json', 'e2', '{"sub":true}');
  put(V1, 'config.json', 'e3', '{"v1":true}');
  writeFileSync(join(repo, 'refs', 'main'), MAIN);
  writeFileSync(join(repo, 'refs', 'v1'), V1);
  return cache;
}

const noNetwork = () => vi.fn(async () => {
  throw new Error('the network was used');
});

describe('resolveModelFiles: local folders', () => {
  it('returns the files of a folder, and names a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dit-local-'));
    writeFileSync(join(dir, 'config.json'), '{}');
    const found = await resolveModelFiles(dir, { files: ['config.json'] });
    expect(found).toMatchObject({ dir, source: 'local', files: { 'config.json': join(dir, 'config.json') } });
    await expect(resolveModelFiles(dir, { files: ['config.json', 'model.safetensors'] })).rejects.toThrow(`${dir}: missing model.safetensors`);
    const picked = await resolveModelFiles(dir, { files: (listing) => listing.filter((f) => f.endsWith('.json')) });
    expect(Object.keys(picked.files)).toEqual(['config.json']);
  });

  it('says when a path is neither a folder nor a repository id', async () => {
    await expect(resolveModelFiles('./no/such/folder', { files: ['x'] })).rejects.toThrow(/no such folder, and not a Hugging Face repository id/);
    const dir = mkdtempSync(join(tmpdir(), 'dit-local-'));
    writeFileSync(join(dir, 'model.safetensors'), '');
    await expect(resolveModelFiles(join(dir, 'model.safetensors'), { files: ['x'] })).rejects.toThrow(/model.safetensors: is a file; pass the folder/);
  });
});

describe('resolveModelFiles: the Python cache', () => {
  it('finds files through refs/main without the network, subfolders included', async () => {
    const cache = pythonCache();
    const fetch = noNetwork();
    const found = await resolveModelFiles('org/vae', { files: ['config.json', 'vae/config.json'], cacheDir: cache, fetch });
    expect(found.source).toBe('cache');
    expect(found.commit).toBe(MAIN);
    expect(found.dir).toBe(join(cache, 'models--org--vae', 'snapshots', MAIN));
    expect(found.files['vae/config.json']).toBe(join(found.dir, 'vae', 'config.json'));
    expect(fetch).not.toHaveBeenCalled();
  });

  it('follows a revision name through refs/, or takes a commit hash as is', async () => {
    const cache = pythonCache();
    const byTag = await resolveModelFiles('org/vae', { files: ['config.json'], cacheDir: cache, revision: 'v1', fetch: noNetwork() });
    expect(byTag.commit).toBe(V1);
    const byHash = await resolveModelFiles('org/vae', { files: ['config.json'], cacheDir: cache, revision: V1, fetch: noNetwork() });
    expect(byHash.files['config.json']).toBe(byTag.files['config.json']);
  });

  it('finds the cache root from HF_HOME in the given environment', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dit-hf-home-'));
    const cache = pythonCache();
    const { renameSync } = await import('node:fs');
    renameSync(cache, join(home, 'hub'));
    const found = await resolveModelFiles('org/vae', { files: ['config.json'], env: { HF_HOME: home }, fetch: noNetwork() });
    expect(found.dir.startsWith(join(home, 'hub'))).toBe(true);
  });

  it('offline (HF_HUB_OFFLINE=1 or localFilesOnly) never calls the network and says what is missing', async () => {
    const cache = pythonCache();
    const fetch = noNetwork();
    const offline = resolveModelFiles('org/vae', { files: ['model.safetensors'], cacheDir: cache, fetch, env: { HF_HUB_OFFLINE: '1' } });
    await expect(offline).rejects.toThrow(/org\/vae: not in the Hugging Face cache .* lacks some of: model.safetensors.*HF_HUB_OFFLINE/);
    const local = resolveModelFiles('org/other', { files: ['config.json'], cacheDir: cache, fetch, localFilesOnly: true, env: {} });
    await expect(local).rejects.toMatchObject({ kind: 'offline' });
    await expect(local).rejects.toBeInstanceOf(HubError);
    expect(fetch).not.toHaveBeenCalled();
  });
});
