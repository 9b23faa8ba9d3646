import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Progress, withDefaults } from '@dit/core';
import { HubError } from './errors.js';
import { hubFetch, resolveUrl, responseError, type HubRequestContext } from './http.js';
import { linkIntoSnapshot } from './cache.js';

/** What a HEAD on `resolve/` tells about one file. */
export interface FileMetadata {
  commit: string;
  /** Blob name in the cache: the LFS sha256 (X-Linked-Etag) or the git blob id (ETag). */
  etag: string;
  size?: number;
  /** Where to GET the bytes (a storage host for LFS files). */
  location: string;
}

export interface DownloadOptions {
  /** Files at least this big report progress on stderr. Default 16 MB; Infinity turns it off. */
  progressMinBytes?: number;
}

export const DEFAULT_DOWNLOAD_OPTIONS: Required<DownloadOptions> = { progressMinBytes: 16 * 2 ** 20 };

const MAX_REDIRECTS = 10;

function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * HEAD `resolve/<revision>/<file>`, following only redirects that stay on the hub (a renamed
 * repo); a redirect to the storage host is where the bytes are, as in Python's `get_hf_file_metadata`.
 */
export async function fetchFileMetadata(ctx: HubRequestContext, revision: string, file: string): Promise<FileMetadata> {
  let url = resolveUrl(ctx, revision, file);
  const hubOrigin = new URL(ctx.hubUrl).origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await hubFetch(ctx, url, { method: 'HEAD', redirect: 'manual', headers: { 'accept-encoding': 'identity' } });
    const location = response.headers.get('location');
    const redirect = response.status >= 300 && response.status < 400 && location;
    if (redirect && new URL(location, url).origin === hubOrigin) {
      url = new URL(location, url).toString();
      continue;
    }
    if (!redirect && !response.ok) throw responseError(ctx, response, `${file} at revision ${revision}`);
    const commit = response.headers.get('x-repo-commit');
    const etag = response.headers.get('x-linked-etag') ?? response.headers.get('etag');
    if (!commit || !etag) {
      throw new HubError('http', `${ctx.repoId}: the hub sent no X-Repo-Commit or ETag for ${file} (a proxy may strip them); cannot place it in the cache`);
    }
    const sizeHeader = response.headers.get('x-linked-size') ?? response.headers.get('content-length');
    return {
      commit,
      etag: normalizeEtag(etag),
      size: sizeHeader ? Number(sizeHeader) : undefined,
      location: redirect ? new URL(location, url).toString() : url,
    };
  }
  throw new HubError('http', `${ctx.repoId}: too many redirects for ${file}`);
}

/**
 * Downloads one file into `blobs/<etag>` (through a temporary name and a rename, so a crash
 * never leaves a half blob) and links it into `snapshots/<commit>/<file>`. Returns the snapshot path.
 */
export async function downloadToCache(
  ctx: HubRequestContext,
  repoDir: string,
  revision: string,
  file: string,
  options: DownloadOptions = {},
): Promise<{ path: string; commit: string }> {
  const { progressMinBytes } = withDefaults(DEFAULT_DOWNLOAD_OPTIONS, options);
  const meta = await fetchFileMetadata(ctx, revision, file);
  const blobPath = join(repoDir, 'blobs', meta.etag);
  if (!existsSync(blobPath)) {
    await mkdir(join(repoDir, 'blobs'), { recursive: true });
    const temp = `${blobPath}.${process.pid}-${Math.random().toString(36).slice(2)}.incomplete`;
    try {
      await fetchInto(ctx, meta, file, temp, progressMinBytes);
      await rename(temp, blobPath);
    } finally {
      await rm(temp, { force: true });
    }
  }
  return { path: await linkIntoSnapshot(repoDir, meta.commit, file, blobPath), commit: meta.commit };
}

async function fetchInto(ctx: HubRequestContext, meta: FileMetadata, file: string, path: string, progressMinBytes: number): Promise<void> {
  const response = await hubFetch(ctx, meta.location, { headers: { 'accept-encoding': 'identity' } });
  if (!response.ok || !response.body) throw responseError(ctx, response, file);
  const mb = 2 ** 20;
  const progress =
    meta.size !== undefined && meta.size >= progressMinBytes
      ? new Progress(`downloading ${ctx.repoId}/${file} (MB)`, Math.ceil(meta.size / mb), { unit: 'MB' })
      : undefined;
  const handle = await open(path, 'w');
  let bytes = 0;
  let reportedMb = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      bytes += chunk.byteLength;
      const wholeMb = Math.floor(bytes / mb);
      if (progress && wholeMb > reportedMb) {
        progress.tick(wholeMb - reportedMb);
        reportedMb = wholeMb;
      }
    }
  } finally {
    await handle.close();
  }
  if (progress && meta.size !== undefined && Math.ceil(meta.size / mb) > reportedMb) progress.tick(Math.ceil(meta.size / mb) - reportedMb);
  if (meta.size !== undefined && bytes !== meta.size) {
    throw new HubError('network', `${ctx.repoId}: download of ${file} stopped at ${bytes} of ${meta.size} bytes; run again to retry`);
  }
}
