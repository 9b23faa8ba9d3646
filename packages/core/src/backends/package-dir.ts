import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireHere = createRequire(import.meta.url);

/** The folder of a package as @dit/core resolves it, or undefined when it is not installed. */
export function packageDir(pkg: string): string | undefined {
  try {
    return dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    // A package whose exports map hides package.json: walk up from its entry point.
    try {
      let dir = dirname(requireHere.resolve(pkg));
      while (dir !== dirname(dir) && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
      return existsSync(join(dir, 'package.json')) ? dir : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The tfjs packages whose versions matter to the backend @dit/core selects. */
export const BACKEND_PACKAGES: readonly string[] = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

/**
 * The installed version of each of {@link BACKEND_PACKAGES} (or null), resolved from @dit/core,
 * where `selectBackend` loads them: a program or the cli may not depend on them itself.
 */
export function backendPackageVersions(packages: readonly string[] = BACKEND_PACKAGES): Record<string, string | null> {
  const versions: Record<string, string | null> = {};
  for (const pkg of packages) {
    const dir = packageDir(pkg);
    versions[pkg] = dir ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version : null;
  }
  return versions;
}
