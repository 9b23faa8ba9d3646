import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

/** Environment variables the Python `huggingface_hub` reads; passed explicitly so tests need not touch process.env. */
export type HubEnv = Record<string, string | undefined>;

export const DEFAULT_HUB_URL = 'https://huggingface.co';

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function hfHome(env: HubEnv): string {
  return expandHome(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'));
}

/** Cache root as Python resolves it: HF_HUB_CACHE, then HF_HOME/hub, then ~/.cache/huggingface/hub. */
export function hubCacheDir(env: HubEnv = process.env): string {
  if (env.HF_HUB_CACHE) return expandHome(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) return expandHome(env.HUGGINGFACE_HUB_CACHE);
  return join(hfHome(env), 'hub');
}

/** Token: HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then the file `huggingface-cli login` writes (HF_TOKEN_PATH or HF_HOME/token). */
export function hubToken(env: HubEnv = process.env): string | undefined {
  const fromEnv = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv?.trim()) return fromEnv.trim();
  const path = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : join(hfHome(env), 'token');
  if (!existsSync(path)) return undefined;
  const token = readFileSync(path, 'utf8').trim();
  return token || undefined;
}

/** Hub URL: HF_ENDPOINT (mirrors, tests), else huggingface.co. */
export function hubUrl(env: HubEnv = process.env): string {
  return (env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/** HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE=1) forbids every network call, as in Python. */
export function isOffline(env: HubEnv = process.env): boolean {
  const truthy = (value: string | undefined) => ['1', 'true', 'yes', 'on'].includes((value ?? '').toLowerCase());
  return truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE);
}
