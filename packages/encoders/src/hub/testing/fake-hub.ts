import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One file of a fake repository; `lfs` files are served through a redirect to a second host, as the hub does. */
export interface FakeFile {
  content: string | Uint8Array;
  lfs?: boolean;
}

export interface FakeRepo {
  /** revision name (branch or tag) -> commit hash */
  refs: Record<string, string>;
  /** commit hash -> files */
  commits: Record<string, Record<string, FakeFile>>;
  /** Files need `Authorization: Bearer <token>`; without it the hub answers 401 GatedRepo. */
  gatedToken?: string;
}

export interface FakeRequest {
  method: string;
  url: string;
  host: 'hub' | 'storage';
  authorization?: string;
}

/**
 * A tiny stand-in for huggingface.co on 127.0.0.1 for tests: the revision API, `resolve/` with
 * HEAD metadata (X-Repo-Commit, ETag / X-Linked-Etag, sizes) and LFS redirects to a separate
 * "storage" server (another origin), 401 GatedRepo and 404 Entry/Revision/RepoNotFound answers.
 */
export class FakeHub {
  readonly requests: FakeRequest[] = [];
  private hub!: Server;
  private storage!: Server;
  url = '';
  private storageUrl = '';

  constructor(readonly repos: Record<string, FakeRepo>) {}

  async start(): Promise<this> {
    this.hub = createServer((req, res) => this.handleHub(req, res));
    this.storage = createServer((req, res) => this.handleStorage(req, res));
    this.url = await listen(this.hub);
    this.storageUrl = await listen(this.storage);
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.hub), close(this.storage)]);
  }

  private record(req: IncomingMessage, host: FakeRequest['host']): void {
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '', host, authorization: req.headers.authorization });
  }

  private handleHub(req: IncomingMessage, res: ServerResponse): void {
    this.record(req, 'hub');
    const url = new URL(req.url ?? '/', this.url);
    const api = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
    if (api) {
      const repo = this.repos[api[1]];
      if (!repo) return fail(res, 401, 'RepoNotFound');
      const commit = this.commitOf(repo, decodeURIComponent(api[2]));
      if (!commit) return fail(res, 404, 'RevisionNotFound');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: api[1], sha: commit, siblings: Object.keys(repo.commits[commit]).map((rfilename) => ({ rfilename })) }));
      return;
    }
    const resolve = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (!resolve) return fail(res, 404, 'NotFound');
    const repo = this.repos[resolve[1]];
    if (!repo) return fail(res, 401, 'RepoNotFound');
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return fail(res, 401, 'GatedRepo', 'Access to model is restricted. You must have access to it and be authenticated.');
    }
    const commit = this.commitOf(repo, decodeURIComponent(resolve[2]));
    if (!commit) return fail(res, 404, 'RevisionNotFound');
    const path = resolve[3].split('/').map(decodeURIComponent).join('/');
    const file = repo.commits[commit][path];
    if (!file) return fail(res, 404, 'EntryNotFound');
    const bytes = toBytes(file.content);
    res.setHeader('x-repo-commit', commit);
    if (file.lfs) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      res.setHeader('x-linked-etag', `"${sha256}"`);
      res.setHeader('x-linked-size', String(bytes.byteLength));
      res.setHeader('location', `${this.storageUrl}/blobs/${resolve[1]}/${commit}/${resolve[3]}`);
      res.statusCode = 302;
      res.end();
      return;
    }
    res.setHeader('etag', `"${createHash('sha1').update(bytes).digest('hex')}"`);
    res.setHeader('content-length', String(bytes.byteLength));
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  private handleStorage(req: IncomingMessage, res: ServerResponse): void {
    this.record(req, 'storage');
    const match = (req.url ?? '').match(/^\/blobs\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/);
    const file = match ? this.repos[match[1]]?.commits[match[2]]?.[match[3].split('/').map(decodeURIComponent).join('/')] : undefined;
    if (!file) return fail(res, 404, 'NotFound');
    const bytes = toBytes(file.content);
    res.setHeader('content-length', String(bytes.byteLength));
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  private commitOf(repo: FakeRepo, revision: string): string | undefined {
    if (repo.commits[revision]) return revision;
    return repo.refs[revision];
  }
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

function fail(res: ServerResponse, status: number, code: string, message?: string): void {
  res.statusCode = status;
  res.setHeader('x-error-code', code);
  if (message) res.setHeader('x-error-message', message);
  res.end();
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
