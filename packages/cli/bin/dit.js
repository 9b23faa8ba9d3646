#!/usr/bin/env node
// The `dit` command. This file is committed (the build is not), so that `pnpm install` on a fresh
// clone can link `node_modules/.bin/dit` before anything is built; it runs the build.
import { existsSync } from 'node:fs';

const build = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(build)) {
  console.error(`dit: @dit/cli is not built (${build.pathname} is missing): run \`pnpm build\` first`);
  process.exit(1);
}
await import(build.href);
