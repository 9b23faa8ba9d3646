import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { doctor, formatDoctorReport } from './doctor.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

describe('dit doctor and WebGPU', () => {
  it('shows the WebGPU adapter with its limits, or why there is none, and the drivers underneath', async () => {
    const report = await doctor();
    const text = formatDoctorReport(report);
    if (report.webgpu.adapter) {
      expect(report.webgpu.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      expect(text).toMatch(/^WebGPU adapter: .*binding .*\n {2}limits: maxStorageBufferBindingSize \d/m);
    } else {
      expect(text).toMatch(/^WebGPU adapter: none \(.+\)$/m);
    }
    expect(report.webgpu.drivers.requirements).toMatch(/Dawn runs on|ships Dawn for/);
    if (process.platform === 'linux') expect(text).toMatch(/^Vulkan loader: .*\nVulkan drivers \(/m);
  });

  it.runIf(process.platform === 'linux')('says in words a user can act on why Dawn found no adapter', () => {
    expect(existsSync(bin), `${bin} missing: run pnpm build`).toBe(true);
    const run = spawnSync(process.execPath, [bin, 'doctor'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, VK_DRIVER_FILES: '/nonexistent/dit_icd.json', DIT_BACKEND: '' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^WebGPU adapter: none \(.*\)$/m);
    expect(run.stdout).toMatch(/^ {2}\/nonexistent\/dit_icd\.json -> \? \(not found\) \(manifest missing\)$/m);
    const advice = run.stdout.split('\n').find((l) => l.startsWith('advice: WebGPU is unavailable'));
    // With the package installed Dawn looks and finds nothing; without it, the package is named.
    expect(advice).toMatch(/Dawn found no WebGPU adapter: The Vulkan driver manifest \/nonexistent\/dit_icd\.json \(from VK_DRIVER_FILES\) does not exist|'webgpu' \(Dawn for Node\) is not installed/);
  });
});
