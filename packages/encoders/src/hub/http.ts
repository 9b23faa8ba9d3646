import { HubError } from './errors.js';

/** What every request to the hub needs. */
export interface HubRequestContext {
  hubUrl: string;
  repoId: string;
  token?: string;
  fetch: typeof fetch;
}

function quotePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `<hub>/<repo>/resolve/<revision>/<file>`; the revision is quoted whole (`refs/pr/1` -> `refs%2Fpr%2F1`), as Python does. */
export function resolveUrl(ctx: HubRequestContext, revision: string, file: string): string {
  return `${ctx.hubUrl}/${ctx.repoId}/resolve/${encodeURIComponent(revision)}/${quotePath(file)}`;
}

/** `<hub>/api/models/<repo>/revision/<revision>`: the commit and file list of a revision. */
export function revisionInfoUrl(ctx: HubRequestContext, revision: string): string {
  return `${ctx.hubUrl}/api/models/${ctx.repoId}/revision/${encodeURIComponent(revision)}`;
}

export function authHeaders(ctx: HubRequestContext, url: string): Record<string, string> {
  // The token goes only to the hub itself, never to the storage host a download redirects to.
  const sameOrigin = new URL(url).origin === new URL(ctx.hubUrl).origin;
  return ctx.token && sameOrigin ? { authorization: `Bearer ${ctx.token}` } : {};
}

/** fetch with the hub's headers; a network failure becomes a HubError naming the URL. */
export async function hubFetch(ctx: HubRequestContext, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await ctx.fetch(url, { ...init, headers: { ...authHeaders(ctx, url), ...(init.headers as Record<string, string>) } });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new HubError('network', `${ctx.repoId}: cannot reach ${url} (${cause}). Set HF_HUB_OFFLINE=1 to use the cache only.`);
  }
}

/**
 * Turns a failed response into an error the user can act on. The hub says what went wrong in
 * the `X-Error-Code` header (GatedRepo, RepoNotFound, RevisionNotFound, EntryNotFound).
 */
export function responseError(ctx: HubRequestContext, response: Response, what: string): HubError {
  const code = response.headers.get('x-error-code') ?? '';
  const detail = response.headers.get('x-error-message');
  const status = response.status;
  const page = `${ctx.hubUrl}/${ctx.repoId}`;
  const suffix = detail ? ` (hub says: ${detail})` : '';
  if (code === 'GatedRepo' || status === 403 || (status === 401 && code !== 'RepoNotFound')) {
    const tokenHint = ctx.token
      ? 'the token in use has no access: accept the licence with the account that owns the token'
      : 'no token was given: set HF_TOKEN (or the token option) to a Hugging Face access token';
    return new HubError(
      'gated',
      `${ctx.repoId}: access denied (HTTP ${status}) to ${what}. The model is gated or private: accept its licence at ${page}, and ${tokenHint}${suffix}`,
      status,
    );
  }
  if (code === 'RepoNotFound' || (status === 401 && !ctx.token)) {
    return new HubError(
      'repo-not-found',
      `${ctx.repoId}: repository not found on ${ctx.hubUrl} (HTTP ${status}); check the id, or set HF_TOKEN if it is private${suffix}`,
      status,
    );
  }
  if (code === 'RevisionNotFound') {
    return new HubError('revision-not-found', `${ctx.repoId}: revision not found while fetching ${what} (HTTP ${status})${suffix}`, status);
  }
  if (code === 'EntryNotFound' || status === 404) {
    return new HubError('entry-not-found', `${ctx.repoId}: ${what} not found (HTTP ${status})${suffix}`, status);
  }
  return new HubError('http', `${ctx.repoId}: HTTP ${status} ${response.statusText} for ${what}${suffix}`, status);
}
