/** Why a model could not be resolved; `kind` lets callers branch without parsing messages. */
export type HubErrorKind =
  | 'gated' // 401/403: licence not accepted or no/invalid token
  | 'repo-not-found'
  | 'revision-not-found'
  | 'entry-not-found' // the repository has no such file
  | 'missing-local-file' // a local folder lacks a file
  | 'offline' // not in the cache and the network is off limits
  | 'http' // any other HTTP failure
  | 'network'; // the server could not be reached

/** An error a user can act on: the message names the repository, revision and file at fault. */
export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HubError';
  }
}
