import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainNoAdapter, webgpuDriverReport } from './driver-report.js';

const dir = mkdtempSync(join(tmpdir(), 'dit-vulkan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A driver manifest and a fake driver library carrying Mesa's version string, as Mesa's own do. */
function fakeMesaDriver(name: string, mesa: string): string {
  const library = join(dir, `libvulkan_${name}.so`);
  writeFileSync(library, Buffer.concat([Buffer.alloc(64), Buffer.from(`\0Mesa ${mesa}-1\0`), Buffer.alloc(64)]));
  const json = join(dir, `${name}_icd.json`);
  writeFileSync(json, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.230' } }));
  return json;
}

describe.runIf(process.platform === 'linux')('webgpuDriverReport on Linux', () => {
  it('reads the manifests VK_DRIVER_FILES names, with their library, Vulkan version and Mesa version', () => {
    const json = fakeMesaDriver('lvp', '25.0.7');
    const report = webgpuDriverReport({ VK_DRIVER_FILES: json });
    expect(report.icdSource).toBe(`VK_DRIVER_FILES=${json}`);
    expect(report.icds).toEqual([{ path: json, library: join(dir, 'libvulkan_lvp.so'), libraryFound: join(dir, 'libvulkan_lvp.so'), apiVersion: '1.3.230', mesaVersion: '25.0.7' }]);
    expect(report.problems.filter((p) => /Mesa|manifest/.test(p))).toEqual([]);
  });

  it('says Mesa below 23 is likely too old for Dawn (22.3 measured rejected)', () => {
    const old = mkdtempSync(join(dir, 'old-'));
    const library = join(old, 'libvulkan_radeon.so');
    writeFileSync(library, Buffer.from('xx\0Mesa 22.3.6\0yy'));
    const json = join(old, 'radeon_icd.json');
    writeFileSync(json, JSON.stringify({ ICD: { library_path: library, api_version: '1.3.230' } }));
    const report = webgpuDriverReport({ VK_DRIVER_FILES: json });
    expect(report.icds![0].mesaVersion).toBe('22.3.6');
    expect(explainNoAdapter(report)).toMatch(/Mesa 22\.3\.6 \(.*libvulkan_radeon\.so\) is likely too old for Dawn.*bookworm-backports/);
  });

  it('says when no manifest exists, or one names a library that is not installed', () => {
    const none = webgpuDriverReport({ VK_DRIVER_FILES: join(dir, 'missing.json') });
    expect(none.icds).toEqual([{ path: join(dir, 'missing.json'), library: '', libraryFound: null, error: 'missing' }]);
    expect(explainNoAdapter(none)).toMatch(/manifest .*missing\.json \(from VK_DRIVER_FILES\) does not exist: fix the path or unset the variable/);
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(explainNoAdapter(webgpuDriverReport({ VK_ICD_FILENAMES: empty }))).toMatch(/^No Vulkan driver manifest \(ICD json\) in VK_ICD_FILENAMES=.*install your GPU's Vulkan driver/);
    const dangling = join(dir, 'nvidia_icd.json');
    writeFileSync(dangling, JSON.stringify({ ICD: { library_path: 'libGLX_nvidia_not_here.so.0' } }));
    expect(explainNoAdapter(webgpuDriverReport({ VK_DRIVER_FILES: dangling }))).toMatch(/libGLX_nvidia_not_here\.so\.0\): reinstall the driver/);
  });

  it.runIf(existsSync('/usr/share/vulkan/icd.d/lvp_icd.json'))('finds the loader and Mesa 25 lavapipe where they are installed (this project\'s CI)', () => {
    const report = webgpuDriverReport({});
    expect(report.vulkanLoader).toMatch(/libvulkan\.so\.1$/);
    const lvp = report.icds!.find((icd) => icd.path === '/usr/share/vulkan/icd.d/lvp_icd.json')!;
    expect(lvp.libraryFound).toMatch(/libvulkan_lvp\.so$/);
    expect(Number(lvp.mesaVersion!.split('.')[0])).toBeGreaterThanOrEqual(25);
    expect(report.problems.filter((p) => /loader|Mesa|manifest/.test(p))).toEqual([]);
  });
});

describe('webgpuDriverReport elsewhere', () => {
  it('always says what Dawn needs on this platform', () => {
    expect(webgpuDriverReport({}).requirements).toMatch(/Dawn runs on (Vulkan|Metal|Direct3D 12)|ships Dawn for/);
  });
});
