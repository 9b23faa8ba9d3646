// Names @dit/cli exported as a library before generation moved to @dit/pipeline; each now
// lives where it belongs. Kept for one minor release; import them from their new homes.
import * as zlib from 'node:zlib';
import {
  addPngText as dataAddPngText,
  findEpochSamples as dataFindEpochSamples,
  readPngText as dataReadPngText,
  writeSampleGrid as dataWriteSampleGrid,
  type GridRow as DataGridRow,
  type SampleGridOptions as DataSampleGridOptions,
} from '@dit/data';
import { SingleStreamDiTV2 } from '@dit/model';
import { autoencoderSpecFromId as pipelineAutoencoderSpecFromId, textEncoderSpecFromId as pipelineTextEncoderSpecFromId } from '@dit/pipeline';
import {
  dropSupersededRows as trainDropSupersededRows,
  epochMeans as trainEpochMeans,
  parseLossLog as trainParseLossLog,
  plotRun as trainPlotRun,
  readLossLog as trainReadLossLog,
  readPhaseMarkers as trainReadPhaseMarkers,
  renderLossChartSvg as trainRenderLossChartSvg,
  smoothLosses as trainSmoothLosses,
  trainedLatentNorm as trainTrainedLatentNorm,
  writeRunReport as trainWriteRunReport,
  type LossChartOptions as TrainLossChartOptions,
  type LossLogRow as TrainLossLogRow,
  type PhaseMarker as TrainPhaseMarker,
  type PlotRunOptions as TrainPlotRunOptions,
  type PlotRunResult as TrainPlotRunResult,
  type RunReportInput as TrainRunReportInput,
  type TrainedLatentNorm,
} from '@dit/train';
import { doctor as commandDoctor, formatDoctorReport as commandFormatDoctorReport, type DoctorReport as CommandDoctorReport } from './commands/doctor.js';
import { formatPathInfo as commandFormatPathInfo } from './commands/info-command.js';
import {
  describePath as commandDescribePath,
  type CacheInfo as CommandCacheInfo,
  type CheckpointInfo as CommandCheckpointInfo,
  type ModelInfo as CommandModelInfo,
  type PathInfo as CommandPathInfo,
  type RunInfo as CommandRunInfo,
  type SafetensorsInfo as CommandSafetensorsInfo,
} from './commands/info-describe.js';
import { sampleImages, type SampledImage, type SampleImagesOptions } from './commands/sample-images.js';
import { settingsToPngText as commandSettingsToPngText, type SampleSettings as CommandSampleSettings } from './commands/sample-settings.js';
import { findSampleSource, type CheckpointWeights as CommandCheckpointWeights, type SampleSource } from './commands/sample-source.js';
import { resumeCommandLine as commandResumeCommandLine } from './commands/train-command.js';

/** @deprecated Use `DiTPipeline.fromPretrained(dir)` and `pipe.generate(...)` from @dit/pipeline (`dit sample` for PNGs with settings). */
export const generateImages: (options: SampleImagesOptions) => Promise<SampledImage[]> = sampleImages;
/** @deprecated Use `GenerateOptions` of @dit/pipeline. */
export type GenerateOptions = SampleImagesOptions;
/** @deprecated `dit sample` writes these; use `GenerateResult` of @dit/pipeline. */
export type GeneratedImage = SampledImage;
/** @deprecated Use `GENERATE_DEFAULTS` and `PIPELINE_PART_DEFAULTS` of @dit/pipeline. */
export const GENERATE_DEFAULTS = {
  textEncoder: 'google/t5gemma-2-1b-1b',
  vae: 'KBlueLeaf/EQ-SDXL-VAE',
  width: 512,
  height: 512,
  steps: 50,
  sampler: 'rk4',
  cfg: 1.5,
  cfgMode: 'batched',
  shift: 1,
  seed: 0,
  batch: 1,
  outDir: 'samples',
} as const;
/** @deprecated `dit sample`'s settings record; kept for reading old code. */
export type SampleSettings = CommandSampleSettings;
/** @deprecated No longer part of a public API. */
export const settingsToPngText = commandSettingsToPngText;
/** @deprecated Use `autoencoderSpecFromId` of @dit/pipeline. */
export const autoencoderSpecFromId = pipelineAutoencoderSpecFromId;
/** @deprecated Use `textEncoderSpecFromId` of @dit/pipeline. */
export const textEncoderSpecFromId = pipelineTextEncoderSpecFromId;

/** @deprecated Which weights of a checkpoint `dit sample --weights` takes. */
export type CheckpointWeights = CommandCheckpointWeights;
/** @deprecated Use `trainedLatentNorm` of @dit/train. */
export type LatentNormValues = TrainedLatentNorm;
/** @deprecated What `dit sample --model` resolves to; load with `DiTPipeline.fromPretrained`. */
export interface SamplingModelSource {
  weightsPath: string;
  weights: SampleSource['weights'];
  latentNorm: SampleSource['latentNorm'];
}
/** @deprecated Use `DiTPipeline.fromPretrained(dir, { weights })` of @dit/pipeline. */
export async function findSamplingModel(path: string, weights?: CommandCheckpointWeights): Promise<SamplingModelSource> {
  const { weightsPath, weights: which, latentNorm } = await findSampleSource(path, weights);
  return { weightsPath, weights: which, latentNorm };
}
/** @deprecated Use `DiTPipeline.fromPretrained` of @dit/pipeline, or `SingleStreamDiTV2.fromPretrained` of @dit/model. */
export function loadSamplingModel(source: SamplingModelSource): Promise<SingleStreamDiTV2> {
  return SingleStreamDiTV2.fromPretrained(source.weightsPath, { model: { checkMemory: true } });
}
/** @deprecated Use `trainedLatentNorm` of @dit/train. */
export const trainedLatentNorm = trainTrainedLatentNorm;

/** @deprecated Use `addPngText` of @dit/data. */
export const addPngText = dataAddPngText;
/** @deprecated Use `readPngText` of @dit/data. */
export const readPngText = dataReadPngText;
/** @deprecated Use `zlib.crc32` of Node (20.15 or newer). */
export function crc32(bytes: Uint8Array): number {
  return zlib.crc32(bytes);
}

/** @deprecated Use `writeSampleGrid` of @dit/data. */
export const writeSampleGrid = dataWriteSampleGrid;
/** @deprecated Use `findEpochSamples` of @dit/data. */
export const findEpochSamples = dataFindEpochSamples;
/** @deprecated Use `GridRow` of @dit/data. */
export type GridRow = DataGridRow;
/** @deprecated Use `SampleGridOptions` of @dit/data. */
export type SampleGridOptions = DataSampleGridOptions;

/** @deprecated Use `plotRun` of @dit/train. */
export const plotRun = trainPlotRun;
/** @deprecated Use `readPhaseMarkers` of @dit/train. */
export const readPhaseMarkers = trainReadPhaseMarkers;
/** @deprecated Use `PlotRunOptions` of @dit/train. */
export type PlotRunOptions = TrainPlotRunOptions;
/** @deprecated Use `PlotRunResult` of @dit/train. */
export type PlotRunResult = TrainPlotRunResult;
/** @deprecated Use `renderLossChartSvg` of @dit/train. */
export const renderLossChartSvg = trainRenderLossChartSvg;
/** @deprecated Use `LossChartOptions` of @dit/train. */
export type LossChartOptions = TrainLossChartOptions;
/** @deprecated Use `PhaseMarker` of @dit/train. */
export type PhaseMarker = TrainPhaseMarker;
/** @deprecated Use `parseLossLog` of @dit/train. */
export const parseLossLog = trainParseLossLog;
/** @deprecated Use `readLossLog` of @dit/train. */
export const readLossLog = trainReadLossLog;
/** @deprecated Use `smoothLosses` of @dit/train. */
export const smoothLosses = trainSmoothLosses;
/** @deprecated Use `dropSupersededRows` of @dit/train. */
export const dropSupersededRows = trainDropSupersededRows;
/** @deprecated Use `epochMeans` of @dit/train. */
export const epochMeans = trainEpochMeans;
/** @deprecated Use `LossLogRow` of @dit/train. */
export type LossLogRow = TrainLossLogRow;
/** @deprecated Use `writeRunReport` of @dit/train. */
export const writeRunReport = trainWriteRunReport;
/** @deprecated Use `RunReportInput` of @dit/train. */
export type RunReportInput = TrainRunReportInput;

/** @deprecated Run `dit doctor` (or `runCli(['doctor', '--json'])`). */
export const doctor = commandDoctor;
/** @deprecated Run `dit doctor`. */
export const formatDoctorReport = commandFormatDoctorReport;
/** @deprecated Run `dit doctor --json`. */
export type DoctorReport = CommandDoctorReport;
/** @deprecated Run `dit info --json`. */
export const describePath = commandDescribePath;
/** @deprecated Run `dit info`. */
export const formatPathInfo = commandFormatPathInfo;
/** @deprecated Run `dit info --json`. */
export type PathInfo = CommandPathInfo;
/** @deprecated Run `dit info --json`. */
export type ModelInfo = CommandModelInfo;
/** @deprecated Run `dit info --json`. */
export type CheckpointInfo = CommandCheckpointInfo;
/** @deprecated Run `dit info --json`. */
export type CacheInfo = CommandCacheInfo;
/** @deprecated Run `dit info --json`. */
export type RunInfo = CommandRunInfo;
/** @deprecated Run `dit info --json`. */
export type SafetensorsInfo = CommandSafetensorsInfo;
/** @deprecated `dit train` prints it when a run stops. */
export const resumeCommandLine = commandResumeCommandLine;
