import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { findSharedLibrary } from '../shared-library.js';

/** One Vulkan driver manifest (ICD json) the loader would read. */
export interface VulkanIcd {
  /** The json file. */
  path: string;
  /** `ICD.library_path`: the driver library it names. */
  library: string;
  /** Where that library was found (null when the loader could not find it either). */
  libraryFound: string | null;
  /** `ICD.api_version`: the Vulkan version the driver was built for. */
  apiVersion?: string;
  /** Mesa's version read from a Mesa driver library ("25.0.7"). */
  mesaVersion?: string;
  /** Why the manifest itself could not be read. */
  error?: 'missing' | 'unreadable';
}

/** What the machine offers WebGPU (Dawn) underneath, and what to do when no adapter appears. */
export interface WebgpuDriverReport {
  platform: string;
  /** Linux: the Vulkan loader `libvulkan.so.1` Dawn opens (null: not found). */
  vulkanLoader?: string | null;
  /** Linux: where the loader looks for drivers: `VK_DRIVER_FILES`, `VK_ICD_FILENAMES`, or the standard folders. */
  icdSource?: string;
  icds?: VulkanIcd[];
  /** Linux: GPU device nodes visible to this process (/dev/dri/renderD*, /dev/nvidia*). */
  gpuDeviceNodes?: string[];
  /** NVIDIA's kernel driver version, when loaded. */
  nvidiaDriver?: string | null;
  /** Linux: glibc version; the prebuilt dawn.node needs 2.34 or newer. */
  glibc?: string | null;
  /** What Dawn needs on this platform, in one sentence. */
  requirements: string;
  /** Problems found, as sentences a user can act on, most fundamental first; empty when nothing looks wrong. */
  problems: string[];
}

/** Mesa 22.3's lavapipe is rejected by Dawn (measured on Debian bookworm); Mesa 25.0.7 works. */
export const OLDEST_MESA_KNOWN_TO_WORK = '25.0';
const MESA_REJECTED_BELOW = [23, 0];
const DAWN_GLIBC = [2, 34];

const STANDARD_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

function icdFilesFrom(env: Record<string, string | undefined>): { source: string; files: string[] } {
  for (const variable of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES']) {
    const value = env[variable];
    if (value) {
      const files = value.split(delimiter).filter(Boolean).flatMap((p) => (existsSync(p) && statSync(p).isDirectory() ? jsonFilesIn(p) : [p]));
      return { source: `${variable}=${value}`, files };
    }
  }
  const xdg = (env.XDG_DATA_DIRS ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'vulkan', 'icd.d'));
  const dirs = [...new Set([...STANDARD_ICD_DIRS, ...xdg])];
  return { source: `standard folders (${STANDARD_ICD_DIRS.join(', ')})`, files: dirs.flatMap(jsonFilesIn) };
}

function jsonFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

const mesaVersions = new Map<string, string | undefined>();
/**
 * Mesa writes "Mesa 25.0.7..." into each of its drivers; reading it works on any distribution.
 * All drivers in one folder come from one Mesa build, so one library per folder is read.
 */
function mesaVersionOf(library: string): string | undefined {
  const folder = join(library, '..');
  if (!mesaVersions.has(folder)) mesaVersions.set(folder, readMesaVersion(library));
  return mesaVersions.get(folder);
}

function readMesaVersion(library: string): string | undefined {
  try {
    const text = readFileSync(library).toString('latin1');
    return /Mesa (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

function readIcd(path: string, env: Record<string, string | undefined>): VulkanIcd {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { ICD?: { library_path?: string; api_version?: string } };
    const library = json.ICD?.library_path ?? '';
    const resolved = library.includes('/') && !isAbsolute(library) ? join(path, '..', library) : library;
    const libraryFound = library ? findSharedLibrary(resolved, env) : null;
    const mesaVersion = libraryFound && /libvulkan_(lvp|radeon|intel|intel_hasvk|nouveau|freedreno|panfrost|broadcom|virtio|asahi|powervr)/.test(library) ? mesaVersionOf(libraryFound) : undefined;
    return { path, library, libraryFound, ...(json.ICD?.api_version ? { apiVersion: json.ICD.api_version } : {}), ...(mesaVersion ? { mesaVersion } : {}) };
  } catch {
    return { path, library: '', libraryFound: null, error: existsSync(path) ? 'unreadable' : 'missing' };
  }
}

const older = (version: string, than: number[]) => {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < than.length; i++) if ((parts[i] ?? 0) !== than[i]) return (parts[i] ?? 0) < than[i];
  return false;
};

function glibcVersion(): string | null {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}

function linuxReport(env: Record<string, string | undefined>): WebgpuDriverReport {
  const problems: string[] = [];
  const glibc = glibcVersion();
  if (glibc && older(glibc, DAWN_GLIBC)) {
    problems.push(`glibc ${glibc} is older than 2.34, which the prebuilt Dawn (npm 'webgpu') needs: use a newer distribution (Ubuntu 22.04+, Debian 12+, RHEL 9+).`);
  }
  const vulkanLoader = findSharedLibrary('libvulkan.so.1', env);
  if (!vulkanLoader) problems.push('No Vulkan loader (libvulkan.so.1): install it (Debian/Ubuntu: apt install libvulkan1; Fedora: dnf install vulkan-loader).');
  const { source, files } = icdFilesFrom(env);
  const icds = files.map((file) => readIcd(file, env));
  const usable = icds.filter((icd) => icd.libraryFound);
  const nodes = [
    ...safeList('/dev/dri').filter((f) => f.startsWith('renderD')).map((f) => `/dev/dri/${f}`),
    ...safeList('/dev').filter((f) => /^nvidia\d+$/.test(f)).map((f) => `/dev/${f}`),
  ];
  let nvidiaDriver: string | null = null;
  try {
    nvidiaDriver = /Kernel Module\s+(\S+)/.exec(readFileSync('/proc/driver/nvidia/version', 'utf8'))?.[1] ?? null;
  } catch {
    nvidiaDriver = null;
  }
  for (const icd of icds.filter((i) => i.error)) {
    problems.push(`The Vulkan driver manifest ${icd.path} (from ${source.split('=')[0]}) ${icd.error === 'missing' ? 'does not exist' : 'is not valid JSON'}: fix the path or unset the variable.`);
  }
  if (icds.length === 0) {
    problems.push(
      `No Vulkan driver manifest (ICD json) in ${source}: install your GPU's Vulkan driver (NVIDIA: the proprietary driver's Vulkan part, e.g. libnvidia-gl; AMD/Intel: mesa-vulkan-drivers), or point VK_DRIVER_FILES at its json.`,
    );
  } else if (usable.length === 0 && icds.some((i) => !i.error)) {
    const named = icds.filter((i) => !i.error).map((i) => i.library || i.path);
    problems.push(`The Vulkan driver manifests in ${source} name libraries that are not installed (${named.join(', ')}): reinstall the driver.`);
  }
  for (const icd of usable) {
    if (icd.mesaVersion && older(icd.mesaVersion, MESA_REJECTED_BELOW)) {
      problems.push(
        `Mesa ${icd.mesaVersion} (${icd.library}) is likely too old for Dawn (it rejected Mesa 22.3's lavapipe here, and takes Mesa ${OLDEST_MESA_KNOWN_TO_WORK}): update Mesa (Debian 12: apt install -t bookworm-backports mesa-vulkan-drivers; Ubuntu: the kisak-mesa PPA).`,
      );
    }
  }
  const hardwareIcds = usable.filter((icd) => !/lvp|swiftshader/i.test(icd.library));
  if (hardwareIcds.length > 0 && nodes.length === 0) {
    problems.push('No GPU device node (/dev/dri/renderD*, /dev/nvidia*) is visible to this process: in a container pass the GPU through (docker --device /dev/dri, or --gpus all with the NVIDIA container toolkit and NVIDIA_DRIVER_CAPABILITIES including graphics).');
  }
  if (usable.some((icd) => /nvidia/i.test(icd.library)) && !nvidiaDriver && existsSync('/dev/nvidia0') === false) {
    problems.push("NVIDIA's Vulkan driver is installed but its kernel module is not loaded (no /proc/driver/nvidia/version): reboot or load nvidia.ko.");
  }
  return { platform: `${process.platform}-${process.arch}`, requirements: REQUIREMENTS.linux, vulkanLoader, icdSource: source, icds, gpuDeviceNodes: nodes, nvidiaDriver, glibc, problems };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** What Dawn needs (Dawn's docs/support.md), and what this project measured on Linux. */
const REQUIREMENTS: Record<string, string> = {
  linux:
    'Linux: Dawn runs on Vulkan 1.1+: the loader libvulkan.so.1 and a Vulkan driver for the GPU (the NVIDIA proprietary driver; RADV (AMD), ANV (Intel) or NVK (NVIDIA) from a recent Mesa; lavapipe from Mesa 25 is a CPU stand-in for tests), and glibc 2.34+ for the prebuilt dawn.node.',
  darwin: 'macOS: Dawn runs on Metal 2.3, on macOS 11 or newer; a virtual machine without GPU access has no adapter.',
  win32:
    'Windows: Dawn runs on Direct3D 12 (feature level 11.1, or 11.0 with resource binding tier 2: a GPU driver from the last several years); npm webgpu ships the d3dcompiler_47.dll and dxcompiler.dll it loads beside dawn.node.',
};

/**
 * Looks at the files WebGPU needs underneath (no GPU calls): on Linux the Vulkan loader, the
 * driver manifests and their libraries, Mesa's version, the GPU device nodes and glibc; on
 * macOS and Windows what Dawn needs there.
 */
export function webgpuDriverReport(env: Record<string, string | undefined> = process.env): WebgpuDriverReport {
  const platform = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') return linuxReport(env);
  const requirements = REQUIREMENTS[process.platform];
  if (requirements) return { platform, requirements, problems: [] };
  return { platform, requirements: `${platform}: npm 'webgpu' ships Dawn for Linux, macOS and Windows only.`, problems: [`No Dawn build for ${platform}.`] };
}

/** Why no adapter appeared, in one line: the problems found, else what Dawn needs here. */
export function explainNoAdapter(report: WebgpuDriverReport): string {
  return report.problems.length ? report.problems.join(' ') : `no cause found in the driver files; ${report.requirements}`;
}
