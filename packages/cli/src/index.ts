export { runCli, buildProgram, type CliIo } from './main.js';
export { CliError, EXIT } from './errors.js';
export { doctor, formatDoctorReport, type DoctorReport } from './commands/doctor.js';
export { plotRun, readPhaseMarkers, type PlotRunOptions, type PlotRunResult } from './plot/plot-run.js';
export { renderLossChartSvg, type LossChartOptions, type PhaseMarker } from './plot/loss-chart.js';
export { parseLossLog, readLossLog, smoothLosses, dropSupersededRows, epochMeans, type LossLogRow } from './plot/loss-log.js';
export { writeSampleGrid, findEpochSamples, type GridRow, type SampleGridOptions } from './plot/sample-grid.js';
export { writeRunReport, type RunReportInput } from './plot/report-html.js';
export {
  generateImages,
  settingsToPngText,
  autoencoderSpecFromId,
  textEncoderSpecFromId,
  GENERATE_DEFAULTS,
  type GenerateOptions,
  type GeneratedImage,
  type SampleSettings,
} from './commands/sample-core.js';
export { findSamplingModel, loadSamplingModel, trainedLatentNorm, type SamplingModelSource, type CheckpointWeights, type LatentNormValues } from './commands/sample-model.js';
export { addPngText, readPngText, crc32 } from './commands/sample-png-text.js';
export { describePath, type PathInfo, type ModelInfo, type CheckpointInfo, type CacheInfo, type RunInfo, type SafetensorsInfo } from './commands/info-describe.js';
export { formatPathInfo } from './commands/info-command.js';
export { resumeCommandLine } from './commands/train-command.js';
