// @dit/core registers tfjs' gradients and chained ops (its union-package import).
import '@dit/core';

export { train, type TrainResult } from './trainer.js';
export { TRAIN_DEFAULTS, type TrainOptions } from './options.js';
export type { TrainCallbacks, StepInfo, EpochInfo, PhaseInfo, CheckpointEvent, SampleEvent } from './events.js';
export { NonFiniteError } from './errors.js';
export { planPhases, type PhasePlan } from './phase-plan.js';
export {
  originalSchedule,
  originalScheduleAsLogged,
  scaleSchedule,
  validateSchedule,
  phaseIndexAt,
  phaseLength,
  PHASE_DEFAULTS,
  type Phase,
  type ScaleScheduleOptions,
} from './phases.js';
export { learningRateAt, resolveLrSchedule, LR_DEFAULTS, type LrSchedule, type LrScheduleInput, type LrUnit, type LearningRateAtOptions } from './schedule/lr.js';
export { AdamW, ADAMW_DEFAULTS, type AdamWOptions } from './optim/adamw.js';
export { AdamW8bit, ADAMW_8BIT_DEFAULTS, type AdamW8bitOptions } from './optim/adamw-8bit.js';
export { createOptimizer, OPTIMIZER_DEFAULTS, type OptimizerOptions } from './optim/create.js';
export type { Optimizer, OptimizerKind, OptimizerMeta, OptimizerSnapshot } from './optim/optimizer.js';
export { dynamicQuantileMap } from './optim/quantile-map.js';
export { Ema, EMA_DEFAULTS, type EmaOptions, type EmaMeta } from './ema.js';
export { clipGradNorm, globalNorm, type ClipGradNormOptions, type ClipGradNormResult } from './clip.js';
export { GradientAccumulator, microBatchSizes } from './accumulate.js';
export { computeGradients, type ComputeGradientsOptions, type ComputedGradients } from './train-step.js';
export { measureStepTime, MEASURE_STEP_TIME_DEFAULTS, type MeasureStepTimeOptions, type StepTimeMeasurement, type TimedRun } from './step-timing.js';
export { saveCheckpoint, checkpointName, CheckpointWriteError, type SaveCheckpointOptions } from './checkpoint/save.js';
export { restoreCheckpoint, readCheckpointState, CheckpointMismatchError, type RestoreCheckpointOptions } from './checkpoint/load.js';
export { listCheckpoints, latestCheckpoint, type CheckpointInfo } from './checkpoint/list.js';
export { trainedLatentNorm, type TrainedLatentNorm } from './checkpoint/trained-latent-norm.js';
export { scanCheckpoints, type ScannedCheckpoint } from './checkpoint/scan.js';
export { inspectCheckpoint, verifyCheckpointDigests, CheckpointDamage } from './checkpoint/integrity.js';
export {
  DamagedCheckpointError,
  describeDamagedCheckpoints,
  API_RESUME_ADVICE,
  type DamagedCheckpoint,
  type GoodCheckpoint,
  type ResumeAdvice,
} from './checkpoint/damaged-error.js';
export { DAMAGED_CHECKPOINTS_DIR } from './resume-checkpoint.js';
export { existingRunFiles, RUN_FILES } from './run-folder.js';
export { applyRetention, removeStaleTemporaries, RETENTION_DEFAULTS, type RetentionOptions } from './checkpoint/retention.js';
export {
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  modelConfigDifferences,
  type TrainState,
  type TrainPosition,
  type CheckpointReason,
  type CheckpointConfig,
  type CheckpointFileDigest,
} from './checkpoint/state.js';
export { CsvLog, CSV_LOG_HEADER, type CsvLogRow, type OpenCsvLogOptions } from './logs/csv-log.js';
export { JsonlLog, lossByTimestepBin, type StepRecord, type EventRecord, type JsonlRecord } from './logs/jsonl-log.js';
export { TrainProgress, type TrainProgressOptions, type ProgressUpdate } from './logs/progress.js';
export { formatPythonFloat } from './logs/python-float.js';
export { planMemory, parseByteSize, describePlan, formatBytes, WEBGPU_ASSUMED_MEMORY_BYTES, type MemoryPlan, type PlanMemoryOptions, type EstimateMemory } from './memory-plan.js';
export { stopOnSignals, StopRequest, STOP_ON_SIGNALS_DEFAULTS, type StopHandle, type StopOnSignalsOptions } from './signals.js';
export { overfit, OVERFIT_DEFAULTS, type OverfitOptions, type OverfitResult } from './overfit.js';
export { VALIDATION_DEFAULTS, sampleImage, validationNoise, type ValidationOptions, type ValidationPrompt, type SampleImageOptions } from './validation.js';
export { phaseBuckets, type TrainingDataset, type TrainingBatch } from './dataset.js';
export { InMemoryDataset, type InMemoryEntry, type ShapedArray } from './in-memory-dataset.js';
export type { NamedVariables, NamedTensors } from './types.js';
export { plotRun, readPhaseMarkers, type PlotRunOptions, type PlotRunResult } from './report/plot-run.js';
export { renderLossChartSvg, type LossChartOptions, type PhaseMarker } from './report/loss-chart.js';
export { parseLossLog, readLossLog, smoothLosses, dropSupersededRows, epochMeans, type LossLogRow } from './report/loss-log.js';
export { writeRunReport, type RunReportInput } from './report/report-html.js';
export { writeFinalPipeline, type FinalPipelineOptions } from './final-pipeline.js';
