import './tfjs-setup.js';

export {
  selectBackend,
  describeBackendChoice,
  parseBackendName,
  BACKEND_ORDER,
  defaultWasmThreads,
  DEFAULT_CANDIDATES,
  type BackendName,
  type BackendCandidate,
  type BackendAttempt,
  type BackendChoice,
  type SelectBackendOptions,
  type BackendActivation,
} from './backend.js';
export { formatAdapter, formatBytes, WEBGPU_LIMIT_NAMES, type WebgpuAdapterReport, type WebgpuLimits } from './webgpu/adapter.js';
export { activeWebgpuAdapter, findWebgpuAdapter, webgpuErrors } from './webgpu/candidate.js';
export { webgpuDriverReport, explainNoAdapter, type WebgpuDriverReport, type VulkanIcd } from './webgpu/driver-report.js';
export { checkBackendWorks } from './backend-check.js';
export { installTfjsNodeUtilShim, TFJS_NODE_UTIL_FUNCTIONS } from './backends/node-util-shim.js';
export { webgpuBufferPool, releaseWebgpuIdleBuffers, type WebGpuBufferPool } from './webgpu/buffer-pool.js';
export { backendPackageVersions, BACKEND_PACKAGES } from './backends/package-dir.js';
export { libtensorflowReports, loadedLibtensorflow, type LibtensorflowReport, type LibtensorflowReportOptions } from './backends/libtensorflow.js';
export { findSharedLibrary } from './shared-library.js';
export { Rng, toRng, type RngLike, type RngState } from './rng.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { tempPathFor, isTempFileName, tempWriterPid, isOtherLiveProcess, removeTempFiles, type RemoveTempFilesOptions } from './temp-files.js';
export { withDefaults, definedOnly, type WithDefaults } from './with-defaults.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { Progress, ExponentialAverage, formatDuration, type ProgressOptions, type ProgressStream } from './progress.js';
export { formatCount } from './format-count.js';
export { tensorFromData, tensorToWrite } from './tensor-data.js';
export { SafetensorsError } from './safetensors/errors.js';
export {
  type SafetensorsDtype,
  DTYPE_BYTES,
  f16ToF32,
  f32ToF16,
  bf16ToF32,
  f32ToBf16,
  FORMAT_DTYPE_BITS,
  type FormatDtype,
} from './safetensors/dtypes.js';
export { parseHeader, type TensorInfo, type SafetensorsHeader } from './safetensors/header.js';
export { recogniseForeignFormat, torchFilesNote, TORCH_TO_SAFETENSORS_PYTHON, type ForeignFormat } from './safetensors/foreign-formats.js';
export { SafetensorsFile, MAX_HEADER_BYTES, type TensorData, type TensorSource } from './safetensors/reader.js';
export { ShardedSafetensors } from './safetensors/sharded.js';
export { writeSafetensors, type TensorToWrite, type WriteSafetensorsOptions } from './safetensors/writer.js';
export { openSafetensors, readAllTensors } from './safetensors/open.js';
