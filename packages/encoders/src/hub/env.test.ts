import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubCacheDir, hubToken, hubUrl, isOffline } from './env.js';
import { repoFolderName } from './cache.js';

describe('hub environment (as Python huggingface_hub reads it)', () => {
  it('finds the cache root: HF_HUB_CACHE, then HF_HOME/hub, then ~/.cache/huggingface/hub', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/a/cache', HF_HOME: '/b' })).toBe('/a/cache');
    expect(hubCacheDir({ HF_HOME: '/b' })).toBe(join('/b', 'hub'));
    expect(hubCacheDir({ HF_HOME: '~/hf' })).toBe(join(homedir(), 'hf', 'hub'));
    expect(hubCacheDir({})).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
  });

  it('reads the token from HF_TOKEN, else the login token file', () => {
    const home = mkdtempSync(join(tmpdir(), 'dit-hf-home-'));
    expect(hubToken({ HF_HOME: home })).toBeUndefined();
    writeFileSync(join(home, 'token'), 'hf_fromfile\n');
    expect(hubToken({ HF_HOME: home })).toBe('hf_fromfile');
    expect(hubToken({ HF_HOME: home, HF_TOKEN: 'hf_env' })).toBe('hf_env');
  });

  it('reads HF_ENDPOINT and HF_HUB_OFFLINE', () => {
    expect(hubUrl({})).toBe('https://huggingface.co');
    expect(hubUrl({ HF_ENDPOINT: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9');
    expect(isOffline({ HF_HUB_OFFLINE: '1' })).toBe(true);
    expect(isOffline({ HF_HUB_OFFLINE: '0' })).toBe(false);
    expect(isOffline({})).toBe(false);
  });

  it('names repository folders as Python does', () => {
    expect(repoFolderName('KBlueLeaf/EQ-SDXL-VAE')).toBe('models--KBlueLeaf--EQ-SDXL-VAE');
    expect(repoFolderName('gpt2')).toBe('models--gpt2');
  });
});
