import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const requireHere = createRequire(import.meta.url);

/** The folder of a package as @dit/core resolves it, or undefined when it is not installed. */
export function packageDir(pkg: string): string | undefined {
  try {
    return dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}
