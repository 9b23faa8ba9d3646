import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import nodeUtil from 'node:util';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installTfjsNodeUtilShim, TFJS_NODE_UTIL_FUNCTIONS } from './node-util-shim.js';

const requireHere = createRequire(import.meta.url);

/** Every `util.<name>` the installed tfjs-node's JavaScript calls (its compiled code names `util` `util_1`). */
function utilFunctionsTfjsNodeCalls(): string[] {
  const dist = join(dirname(requireHere.resolve('@tensorflow/tfjs-node/package.json')), 'dist');
  const names = new Set<string>();
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.js') && !entry.name.endsWith('_test.js')) {
        const source = readFileSync(path, 'utf8');
        if (!/require\("util"\)/.test(source)) continue;
        for (const match of source.matchAll(/\butil_1\.([A-Za-z_]+)/g)) names.add(match[1]);
      }
    }
  };
  visit(dist);
  return [...names].sort();
}

describe('installTfjsNodeUtilShim', () => {
  it('defines exactly the missing functions, with their documented meaning, and replaces nothing', () => {
    const isArrayOfNode = (value: unknown) => Array.isArray(value);
    const util: Record<string, unknown> = { promisify: nodeUtil.promisify, isArray: isArrayOfNode }; // a Node >= 23 util
    expect(installTfjsNodeUtilShim(util)).toEqual(['isNullOrUndefined']);
    expect(Object.keys(util).sort()).toEqual(['isArray', 'isNullOrUndefined', 'promisify']);
    expect(util.isArray).toBe(isArrayOfNode);
    const isNullOrUndefined = util.isNullOrUndefined as (value: unknown) => boolean;
    expect([null, undefined].map(isNullOrUndefined)).toEqual([true, true]);
    expect([0, '', false, Number.NaN, {}, []].map(isNullOrUndefined)).toEqual([false, false, false, false, false, false]);
    expect(installTfjsNodeUtilShim(util)).toEqual([]); // idempotent

    const bare: Record<string, unknown> = {};
    expect(installTfjsNodeUtilShim(bare)).toEqual([...TFJS_NODE_UTIL_FUNCTIONS]);
    expect((bare.isArray as (v: unknown) => boolean)([1])).toBe(true);
    expect((bare.isArray as (v: unknown) => boolean)({ length: 1 })).toBe(false);
  });

  it("leaves a util that has the functions (Node 20, 22) untouched", () => {
    const own = () => true;
    const util = { isNullOrUndefined: own, isArray: own };
    expect(installTfjsNodeUtilShim(util)).toEqual([]);
    expect(util.isNullOrUndefined).toBe(own);
  });

  it("covers every util function the installed tfjs-node calls, on this Node's real util", () => {
    const called = utilFunctionsTfjsNodeCalls();
    expect(called).toContain('isNullOrUndefined');
    // promisify is current Node API; everything else tfjs-node calls is the shim's to provide.
    expect(called.filter((name) => name !== 'promisify').every((name) => TFJS_NODE_UTIL_FUNCTIONS.includes(name))).toBe(true);
    installTfjsNodeUtilShim();
    const util = nodeUtil as unknown as Record<string, unknown>;
    expect(called.filter((name) => typeof util[name] !== 'function')).toEqual([]);
    expect((util.isNullOrUndefined as (v: unknown) => boolean)(undefined)).toBe(true);
  });
});
