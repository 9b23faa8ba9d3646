import { existsSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { cachedCommit, isCommitHash, listSnapshot, repoCacheDir, snapshotDir, writeRef } from './cache.js';
import { downloadToCache } from './download.js';
import { hubCacheDir, hubToken, hubUrl, isOffline, type HubEnv } from './env.js';
import { HubError } from './errors.js';
import type { HubRequestContext } from './http.js';
import { fetchRevisionInfo } from './listing.js';

/** Picks the files to fetch from a listing of the folder or repository (posix relative paths). */
export type FileSelector = string[] | ((listing: string[]) => string[]);

export interface ResolveModelFilesOptions {
  /** Files to resolve (posix paths relative to the folder/repo root, e.g. `vae/config.json`), or a function choosing them from the listing. */
  files: FileSelector;
  /** Branch, tag or commit hash. Default 'main'. */
  revision?: string;
  /** Cache root. Default: HF_HUB_CACHE, then HF_HOME/hub, then ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Access token for gated or private models. Default: HF_TOKEN, then the `huggingface-cli login` token file. */
  token?: string;
  /** Never touch the network (also implied by HF_HUB_OFFLINE=1). Default false. */
  localFilesOnly?: boolean;
  /** Hub endpoint. Default: HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  /** fetch to use (proxies, tests). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Environment to read HF_* variables from. Default process.env. */
  env?: HubEnv;
  /** Files at least this many bytes show download progress on stderr. Default 16 MB; Infinity turns it off. */
  progressMinBytes?: number;
}

export interface ResolvedModelFiles {
  /** The local folder, or the cache snapshot folder (`.../snapshots/<commit>`). */
  dir: string;
  /** Each selected file -> its absolute path on disk. */
  files: Record<string, string>;
  /** Where the files came from. */
  source: 'local' | 'cache' | 'download';
  /** For hub models: the repository id and the commit the files belong to. */
  repoId?: string;
  commit?: string;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

function select(selector: FileSelector, listing: string[]): string[] {
  const chosen = typeof selector === 'function' ? selector(listing) : selector;
  return [...new Set(chosen)];
}

function describeSelector(selector: FileSelector): string {
  return typeof selector === 'function' ? 'the files the loader asks for' : selector.join(', ');
}

/**
 * Finds model files: a local folder as is; else a hub repository through the Python-compatible
 * cache; else downloads just the selected files into that cache. See hub/index.ts.
 */
export async function resolveModelFiles(idOrPath: string, options: ResolveModelFilesOptions): Promise<ResolvedModelFiles> {
  if (existsSync(idOrPath)) {
    if (statSync(idOrPath).isDirectory()) return resolveLocal(resolvePath(idOrPath), options.files);
    throw new HubError('missing-local-file', `${idOrPath}: is a file; pass the folder that holds the model files (config.json beside the weights)`);
  }
  if (!REPO_ID.test(idOrPath) || idOrPath.includes('..')) {
    throw new HubError('missing-local-file', `${idOrPath}: no such folder, and not a Hugging Face repository id (org/name)`);
  }
  return resolveHub(idOrPath, options);
}

function resolveLocal(dir: string, selector: FileSelector): ResolvedModelFiles {
  const listing = typeof selector === 'function' ? listSnapshot(dir) : [];
  const wanted = select(selector, listing);
  if (wanted.length === 0) {
    throw new HubError('missing-local-file', `${dir}: none of the expected model files are in this folder (it holds: ${listing.slice(0, 20).join(', ') || 'nothing'})`);
  }
  const files: Record<string, string> = {};
  for (const file of wanted) {
    const path = join(dir, ...file.split('/'));
    if (!existsSync(path)) throw new HubError('missing-local-file', `${dir}: missing ${file}`);
    files[file] = path;
  }
  return { dir, files, source: 'local' };
}

async function resolveHub(repoId: string, options: ResolveModelFilesOptions): Promise<ResolvedModelFiles> {
  const env = options.env ?? process.env;
  const revision = options.revision ?? 'main';
  const cacheDir = options.cacheDir ?? hubCacheDir(env);
  const repoDir = repoCacheDir(cacheDir, repoId);

  // 1. The cache: a snapshot for this revision that already holds every selected file.
  const cached = cachedCommit(repoDir, revision);
  if (cached) {
    const dir = snapshotDir(repoDir, cached);
    const wanted = select(options.files, listSnapshot(dir));
    const files = Object.fromEntries(wanted.map((file) => [file, join(dir, ...file.split('/'))]));
    if (wanted.length > 0 && Object.values(files).every((path) => existsSync(path))) {
      return { dir, files, source: 'cache', repoId, commit: cached };
    }
  }
  if (options.localFilesOnly || isOffline(env)) {
    const why = options.localFilesOnly ? 'localFilesOnly is set' : 'HF_HUB_OFFLINE is set';
    const have = cached ? `snapshot ${cached} lacks some of: ${describeSelector(options.files)}` : `no snapshot for revision ${revision}`;
    throw new HubError('offline', `${repoId}: not in the Hugging Face cache at ${repoDir} (${have}), and ${why} so nothing is downloaded`);
  }

  // 2. The hub: pin the revision to one commit, then fetch what the cache lacks.
  const ctx: HubRequestContext = {
    hubUrl: (options.hubUrl ?? hubUrl(env)).replace(/\/+$/, ''),
    repoId,
    token: options.token ?? hubToken(env),
    fetch: options.fetch ?? globalThis.fetch,
  };
  const info = await fetchRevisionInfo(ctx, revision);
  const wanted = select(options.files, info.files);
  if (wanted.length === 0) {
    throw new HubError('entry-not-found', `${repoId}@${revision}: none of the expected model files are in the repository (it holds: ${info.files.slice(0, 20).join(', ')})`);
  }
  const absent = wanted.filter((file) => !info.files.includes(file));
  if (absent.length > 0) {
    throw new HubError('entry-not-found', `${repoId}@${revision}: the repository has no ${absent.join(', ')} (it holds: ${info.files.slice(0, 20).join(', ')})`);
  }
  const dir = snapshotDir(repoDir, info.commit);
  const files: Record<string, string> = {};
  for (const file of wanted) {
    const path = join(dir, ...file.split('/'));
    files[file] = existsSync(path)
      ? path
      : (await downloadToCache(ctx, repoDir, info.commit, file, { progressMinBytes: options.progressMinBytes })).path;
  }
  if (!isCommitHash(revision)) await writeRef(repoDir, revision, info.commit);
  return { dir, files, source: 'download', repoId, commit: info.commit };
}
