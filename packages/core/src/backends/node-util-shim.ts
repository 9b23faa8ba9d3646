import nodeUtil from 'node:util';

/**
 * The `util` functions that `@tensorflow/tfjs-node` 4.22 (and tfjs-node-gpu, the same code) calls,
 * found with `grep -o 'util_1\.[A-Za-z]*' dist/**.js`: `isNullOrUndefined` (5 calls, in
 * nodejs_kernel_backend.js and kernels/TopK.js), `isArray` (1 call) and `promisify` (still
 * current). Node 23 removed `util.isNullOrUndefined` (DEP0051); `util.isArray` is deprecated
 * (DEP0044) but still present in Node 24. Each is defined here with its documented meaning, and
 * only where the running Node lacks it.
 */
const REMOVED_UTIL_FUNCTIONS = {
  isNullOrUndefined: (value: unknown): boolean => value === null || value === undefined,
  isArray: (value: unknown): boolean => Array.isArray(value),
} as const;

/** The names {@link installTfjsNodeUtilShim} may define. */
export const TFJS_NODE_UTIL_FUNCTIONS: readonly string[] = Object.keys(REMOVED_UTIL_FUNCTIONS);

/**
 * Defines on Node's `util` module the functions tfjs-node calls that this Node no longer has, and
 * nothing else; an existing function is never replaced. tfjs-node looks them up on `util` at each
 * call, so this works before or after the package loads, but must run before its first op.
 * Returns the names it defined (none on Node 20 and 22). `util` is a parameter for tests.
 */
export function installTfjsNodeUtilShim(util: object = nodeUtil): string[] {
  const target = util as Record<string, unknown>;
  const defined: string[] = [];
  for (const [name, implementation] of Object.entries(REMOVED_UTIL_FUNCTIONS)) {
    if (typeof target[name] === 'function') continue;
    Object.defineProperty(target, name, { value: implementation, writable: true, configurable: true, enumerable: true });
    defined.push(name);
  }
  return defined;
}
