import { formatCount } from '@dit/core';
import { formatBytes } from '@dit/train';
import { describePath, type CacheInfo, type CheckpointInfo, type FileSize, type ModelInfo, type PathInfo, type RunInfo, type SafetensorsInfo } from './info-describe.js';

const count = (n: number | bigint) => formatCount(n);
const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : formatBytes(bytes));

function configLine(config: ModelInfo['config']): string {
  return Object.entries(config)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

function filesLines(files: FileSize[]): string[] {
  const width = Math.max(...files.map((file) => file.name.length));
  return files.map((file) => `  ${file.name.padEnd(width)}  ${size(file.bytes)}`);
}

function formatModel(info: ModelInfo): string[] {
  const { pipeline } = info;
  const parts = pipeline
    ? [
        `pipeline: text encoder ${pipeline.textEncoder ?? 'none'}, autoencoder ${pipeline.autoencoder ?? 'none'}; latent std ${pipeline.latentNormalization.std}, offset ${pipeline.latentNormalization.offset}`,
        `sampling: ${pipeline.sampling.sampler}, ${pipeline.sampling.steps} steps, CFG ${pipeline.sampling.guidanceScale}, ${pipeline.sampling.width}x${pipeline.sampling.height}`,
      ]
    : [];
  return [`${pipeline ? 'pipeline' : 'model'} folder ${info.path}`, `config: ${configLine(info.config)}`, `parameters: ${count(BigInt(info.parametersExact))}`, ...parts, 'files:', ...filesLines(info.files)];
}

function formatCheckpoint(info: CheckpointInfo): string[] {
  const { position: p } = info;
  return [
    `training checkpoint ${info.path} (${info.reason}, saved ${info.savedAt})`,
    `config: ${configLine(info.config)}`,
    `parameters: ${count(BigInt(info.parametersExact))}`,
    `position: step ${p.globalStep} done (${p.phaseStep} in phase '${p.phaseName}'); next: epoch ${p.epoch}, batch ${p.batch}; last full epoch ${info.completedEpoch ?? '-'}`,
    info.phase ? `phase of the next step: ${info.phase.name} (epochs ${info.phase.epochs[0]}-${info.phase.epochs[1]}, loss ${info.phase.loss})` : 'schedule finished',
    `learning rate: ${info.lr.toPrecision(4)}; EMA: ${info.ema ? `decay ${info.ema.decay}` : 'none'}`,
    `latent normalisation of these weights: std ${info.latentNorm.std}, offset ${info.latentNorm.offset}`,
    `seen ${count(info.counters.imagesSeen)} images in ${info.counters.trainSeconds.toFixed(0)} s, ${info.counters.skippedSteps} skipped steps`,
    `training: ${JSON.stringify(info.training)}`,
    'files:',
    ...filesLines(info.files),
  ];
}

function formatCache(info: CacheInfo): string[] {
  const s = info.settings;
  return [
    `latent cache ${info.path} (updated ${info.updatedAt})`,
    `entries: ${info.entries} (${info.flipped} mirrored copies), ${size(info.bytes)}${info.failed ? `; ${info.failed} source(s) failed, see preprocess-report.json` : ''}`,
    'buckets:',
    ...info.buckets.map((b) => `  ${b.bucket.padEnd(10)} ${String(b.entries).padStart(5)} entries, latents [${b.latentShape.join(', ')}]`),
    `text encoder: ${s.textEncoder} ([${info.textShape.join(', ')}] per caption)`,
    `autoencoder: ${s.autoencoder} (${s.latentChannels} channels, downsample ${s.downsample}, scaling factor ${s.scalingFactor}, ${s.encodeMode})`,
    `settings: resize ${s.resize}, alpha ${s.alpha}, auto-orient ${s.autoOrient}, seed ${s.seed}`,
  ];
}

function formatSafetensors(info: SafetensorsInfo): string[] {
  const width = Math.min(60, Math.max(...info.tensors.map((t) => t.name.length), 4));
  return [
    `safetensors ${info.path}: ${info.tensors.length} tensors, ${count(BigInt(info.parametersExact))} elements, ${size(info.bytes)}`,
    ...info.tensors.map((t) => `  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)} [${t.shape.join(', ')}]`),
    ...(Object.keys(info.metadata).length ? ['metadata:', ...Object.entries(info.metadata).map(([k, v]) => `  ${k}: ${v.length > 200 ? `${v.slice(0, 200)}...` : v}`)] : []),
  ];
}

function formatRun(info: RunInfo): string[] {
  return [
    `training run ${info.path}: ${info.loggedSteps} steps logged`,
    ...(info.final ? [`final model: ${configLine(info.final.config)}; ${count(BigInt(info.final.parametersExact))} parameters`] : ['final model: none yet']),
    `checkpoints (${info.checkpoints.length}):`,
    ...info.checkpoints.map((c) => `  ${c.name}  step ${c.step}, epoch ${c.epoch}, phase '${c.phase}' (${c.reason})`),
    ...(info.damaged.length ? [`damaged checkpoints (${info.damaged.length}):`, ...info.damaged.map((d) => `  ${d.name}  ${d.problem}`)] : []),
  ];
}

/** Human-readable lines for `dit info`. */
export function formatPathInfo(info: PathInfo): string[] {
  switch (info.kind) {
    case 'model':
      return formatModel(info);
    case 'checkpoint':
      return formatCheckpoint(info);
    case 'cache':
      return formatCache(info);
    case 'safetensors':
      return formatSafetensors(info);
    case 'run':
      return formatRun(info);
  }
}

/** `dit info <path>`. */
export async function infoCommand(path: string, options: { json?: boolean }, out: (line: string) => void): Promise<void> {
  const info = await describePath(path);
  if (options.json) out(JSON.stringify(info, null, 2));
  else for (const line of formatPathInfo(info)) out(line);
}
