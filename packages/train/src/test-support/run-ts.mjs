// Runs a TypeScript module of this repository in a plain Node process, resolving @dit/* to the
// packages' sources as the test runner does. For tests that need a real child process (signals).
// Usage: node run-ts.mjs <module.ts> [args...]
import { createViteServer } from 'vitest/node';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const packages = ['core', 'model', 'flow', 'samplers', 'encoders', 'data', 'train'];
const server = await createViteServer({
  configFile: false,
  root: repo,
  logLevel: 'error',
  resolve: { alias: Object.fromEntries(packages.map((name) => [`@dit/${name}`, `${repo}packages/${name}/src/index.ts`])) },
  server: { middlewareMode: true, hmr: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const module = await server.ssrLoadModule(pathToFileURL(resolve(process.argv[2])).pathname);
  await module.main?.(process.argv.slice(3));
} finally {
  await server.close();
}
