import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const runnerDir = join(root, 'examples', 'docs-snippets');
const snippetDir = join(runnerDir, '.snippets');

interface Snippet {
  file: string;
  line: number;
  code: string;
  skip?: string;
}

function markdownFiles(): string[] {
  const files = [join(root, 'README.md')];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) {
      const readme = join(root, group, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return files;
}

/** Fenced ```ts / ```typescript blocks, with a `<!-- snippet: no-run (why) -->` marker honoured. */
export function extractSnippets(file: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\s*$/.exec(lines[i].trim());
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    let previous = start - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    const marker = previous >= 0 ? /<!--\s*snippet:\s*no-run\s*\((.+)\)\s*-->/.exec(lines[previous]) : null;
    snippets.push({ file, line: start + 1, code: body.join('\n'), skip: marker?.[1] });
  }
  return snippets;
}

function runSnippet(path: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [path], { cwd, env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const snippets = markdownFiles().flatMap((file) => extractSnippets(file, readFileSync(file, 'utf8')));

describe('docs snippets', () => {
  it('finds snippets, and every skipped one says why', () => {
    expect(snippets.length).toBeGreaterThan(0);
    for (const s of snippets.filter((x) => x.skip)) expect(s.skip!.length, `${relative(root, s.file)}:${s.line}`).toBeGreaterThan(5);
  });

  const runnable = snippets.filter((s) => !s.skip);
  for (const snippet of runnable) {
    const name = `${relative(root, snippet.file)}:${snippet.line}`;
    it(`runs ${name}`, async () => {
      mkdirSync(snippetDir, { recursive: true });
      const path = join(snippetDir, `${name.replace(/[^\w]+/g, '_')}.mts`);
      writeFileSync(path, snippet.code);
      const cwd = mkdtempSync(join(tmpdir(), 'dit-snippet-'));
      try {
        const { code, output } = await runSnippet(path, cwd);
        expect(code, `${name} failed:\n${output}`).toBe(0);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    }, 300_000);
  }
});
