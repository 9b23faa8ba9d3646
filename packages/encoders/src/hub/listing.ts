import { HubError } from './errors.js';
import { hubFetch, responseError, revisionInfoUrl, type HubRequestContext } from './http.js';

/** A revision as the hub's API describes it. */
export interface RevisionInfo {
  /** The commit the revision points at. */
  commit: string;
  /** Every file in the repository at that commit (posix paths). */
  files: string[];
}

/** Asks the hub which commit a branch, tag or hash names, and which files it holds. */
export async function fetchRevisionInfo(ctx: HubRequestContext, revision: string): Promise<RevisionInfo> {
  const url = revisionInfoUrl(ctx, revision);
  const response = await hubFetch(ctx, url);
  if (!response.ok) throw responseError(ctx, response, `revision ${revision}`);
  const body = (await response.json()) as { sha?: unknown; siblings?: { rfilename?: unknown }[] };
  if (typeof body.sha !== 'string' || !Array.isArray(body.siblings)) {
    throw new HubError('http', `${ctx.repoId}: unexpected answer from ${url}: no "sha" and "siblings"`);
  }
  const files = body.siblings.map((s) => s.rfilename).filter((name): name is string => typeof name === 'string');
  return { commit: body.sha, files: files.sort() };
}
