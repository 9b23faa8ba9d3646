import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { tempPathFor, writeFileAtomic } from '@dit/core';

// The Python `huggingface_hub` cache layout, so both languages share downloads:
//   <cache>/models--org--name/blobs/<etag>                      file contents, named by etag
//   <cache>/models--org--name/snapshots/<commit>/<path>         relative symlink to ../../blobs/<etag>
//   <cache>/models--org--name/refs/<revision>                   the commit a branch or tag pointed to

const COMMIT_HASH = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** `org/name` -> `models--org--name`. */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

export function repoCacheDir(cacheDir: string, repoId: string): string {
  return join(cacheDir, repoFolderName(repoId));
}

/** The commit a revision names in the cache (via refs/ for branches and tags), or undefined when unknown. */
export function cachedCommit(repoDir: string, revision: string): string | undefined {
  if (isCommitHash(revision)) return existsSync(join(repoDir, 'snapshots', revision)) ? revision : undefined;
  const refPath = join(repoDir, 'refs', revision);
  if (!existsSync(refPath) || !statSync(refPath).isFile()) return undefined;
  const commit = readFileSync(refPath, 'utf8').trim();
  return commit && existsSync(join(repoDir, 'snapshots', commit)) ? commit : undefined;
}

export function snapshotDir(repoDir: string, commit: string): string {
  return join(repoDir, 'snapshots', commit);
}

/** Files present in a snapshot (posix relative paths); broken links are left out. */
export function listSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      const full = join(dir, rel);
      if (!existsSync(full)) continue;
      if (statSync(full).isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  if (existsSync(dir)) walk('');
  return out.sort();
}

/** Records that `revision` (a branch or tag) points at `commit`, as Python does. */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const refPath = join(repoDir, 'refs', revision);
  if (existsSync(refPath) && readFileSync(refPath, 'utf8').trim() === commit) return;
  await writeFileAtomic(refPath, commit);
}

/**
 * Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (what Python writes),
 * or a copy where symlinks are not allowed. The link is made beside the target then renamed over it.
 */
export async function linkIntoSnapshot(repoDir: string, commit: string, file: string, blobPath: string): Promise<string> {
  const target = join(snapshotDir(repoDir, commit), ...file.split('/'));
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await symlink(relative(dirname(target), blobPath), temp);
  } catch {
    await copyFile(blobPath, temp);
  }
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}
