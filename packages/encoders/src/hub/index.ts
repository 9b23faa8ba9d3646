/**
 * Hugging Face model resolution shared by every encoder.
 *
 *   resolveModelFiles(idOrPath: string, options: ResolveModelFilesOptions): Promise<ResolvedModelFiles>
 *
 *   options.files           string[] | ((listing: string[]) => string[])   posix paths, e.g. 'vae/config.json'
 *   options.revision?       branch, tag or commit (default 'main')
 *   options.cacheDir?       default HF_HUB_CACHE, then HF_HOME/hub, then ~/.cache/huggingface/hub
 *   options.token?          default HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then HF_HOME/token
 *   options.localFilesOnly? never touch the network (HF_HUB_OFFLINE=1 does the same)
 *   options.hubUrl?         default HF_ENDPOINT, else https://huggingface.co
 *   options.fetch?          default globalThis.fetch
 *   options.env?            where HF_* variables are read (default process.env)
 *   options.progressMinBytes? progress on stderr for files this big (default 16 MB)
 *   -> { dir, files: { [relativePath]: absolutePath }, source: 'local' | 'cache' | 'download', repoId?, commit? }
 *
 * Order: an existing local folder (files must be there, else HubError 'missing-local-file');
 * else the cache snapshot that refs/<revision> names, when it holds every selected file;
 * else (unless offline) the hub: the revision is pinned to one commit, missing files are
 * downloaded into blobs/ and linked into snapshots/<commit>/, and refs/<revision> is written,
 * so Python tools see the same cache. The cache is trusted without asking the hub whether the
 * branch moved (delete refs/<revision> or pass a commit to refresh); a function selector sees
 * the cached snapshot's listing first, which may be partial. Python's `.no_exist/` markers are
 * neither read nor written. Failures throw HubError with a `kind`
 * ('gated', 'repo-not-found', 'revision-not-found', 'entry-not-found', 'missing-local-file',
 * 'offline', 'http', 'network') and a message naming repo, revision and file.
 */
export { resolveModelFiles, type ResolveModelFilesOptions, type ResolvedModelFiles, type FileSelector } from './resolve.js';
export { HubError, type HubErrorKind } from './errors.js';
export { hubCacheDir, hubToken, hubUrl, isOffline, DEFAULT_HUB_URL, type HubEnv } from './env.js';
export { repoFolderName } from './cache.js';
