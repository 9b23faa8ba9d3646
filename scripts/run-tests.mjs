#!/usr/bin/env node
// Runs the whole vitest suite once (the unit project, and the webgpu project) and ends with one plain summary line:
// "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'dit-tests-'));
const report = join(dir, 'report.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
// DIT_TEST_WEBGPU=1 adds the webgpu project: the parity tests again on WebGPU (skipped, with the
// reason, where there is no adapter; failed instead with DIT_REQUIRE_WEBGPU=1, as in CI).
const run = spawnSync('pnpm', ['exec', ...args], { stdio: 'inherit', env: { ...process.env, DIT_TEST_WEBGPU: process.env.DIT_TEST_WEBGPU ?? '1' } });
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  skipped = json.numPendingTests + json.numTodoTests;
  if (json.success === false && failed === 0) failed = json.numFailedTestSuites || 1;
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
