import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError, EXIT } from './errors.js';

/** Reads a JSON or YAML config file into a plain object; errors name the file. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`${path}: cannot read config: ${(error as Error).message}`, EXIT.usage);
  }
  let value: unknown;
  try {
    value = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path}: invalid ${extname(path).slice(1).toUpperCase() || 'JSON'}: ${(error as Error).message}`, EXIT.usage);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${path}: the config must be an object of options`, EXIT.usage);
  }
  return value as Record<string, unknown>;
}

/**
 * Options from a config file, overridden by the flags the user actually typed
 * (`explicit` lists them; commander's defaults must not mask file values).
 */
export function mergeOptions<T extends Record<string, unknown>>(
  fromFile: Record<string, unknown>,
  flags: T,
  explicit: ReadonlySet<string>,
  known: readonly string[],
): T {
  const unknown = Object.keys(fromFile).filter((k) => !known.includes(k));
  if (unknown.length) throw new CliError(`config: unknown option(s) ${unknown.join(', ')}; known: ${known.join(', ')}`, EXIT.usage);
  const merged: Record<string, unknown> = { ...flags };
  for (const [key, value] of Object.entries(fromFile)) if (!explicit.has(key)) merged[key] = value;
  return merged as T;
}
