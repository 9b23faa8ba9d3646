import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test(-d)?\.ts$/.test(entry.name) ? [path] : [];
  });
}

// `{ ...DEFAULTS, ...options }` lets an option given as `undefined` replace its default, which is
// how `dit preprocess` without --buckets crashed ("Cannot read properties of undefined"). Options
// are resolved with @dit/core's `withDefaults(DEFAULTS, options)` instead; this keeps it that way.
describe('options over defaults', () => {
  it('no source spreads options over a defaults object (use withDefaults from @dit/core)', () => {
    const spreadOverDefaults = /\{\s*\.\.\.[\w.]*(DEFAULTS|Defaults|defaults|DEFAULT_\w+)\b[^{}]*?,\s*\.\.\.[\w.]+/g;
    const offenders: string[] = [];
    for (const top of ['packages', 'examples', 'bench', 'tools']) {
      let files: string[] = [];
      try {
        files = sourceFiles(join(root, top));
      } catch {
        continue; // a folder this checkout does not have
      }
      {
        for (const file of files) {
          const text = readFileSync(file, 'utf8');
          for (const match of text.matchAll(spreadOverDefaults)) {
            const line = text.slice(0, match.index).split('\n').length;
            if (/^\s*(\*|\/\/)/.test(text.split('\n')[line - 1])) continue; // a comment
            offenders.push(`${relative(root, file)}:${line}: ${match[0]}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
