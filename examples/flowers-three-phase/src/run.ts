import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeJsonAtomic, type Logger } from '@dit/core';
import { CachedDataset, cacheStatistics, MANIFEST_FILE, type CacheStatistics } from '@dit/data';
import { SingleStreamDiTV2 } from '@dit/model';
import { plotRun, train, type Phase, type PlotRunResult } from '@dit/train';
import { scanDataset } from './dataset-scan.js';
import { loadAutoencoder } from './encoders.js';
import { formatPlan, formatTime } from './format-plan.js';
import { generateFinalImages } from './generate.js';
import { resolveFlowersOptions, type FlowersOptions } from './options.js';
import { prepareCache } from './prepare-cache.js';
import { backendInUse, makePlan, type RunPlan } from './run-plan.js';
import { SCALES } from './scales.js';
import { flowersSchedule, phaseNormalisation, type PhaseNormalisation } from './schedule.js';
import { timeTrainingStep } from './step-time.js';

export interface FlowersResult {
  /** 'dry-run': only the plan; 'interrupted': stopped by the signal (run again with `resume`). */
  status: 'dry-run' | 'completed' | 'interrupted';
  outDir: string;
  plan: RunPlan;
  schedule: Phase[];
  normalisation: PhaseNormalisation;
  /** Mean/std of the cached latents (not for a dry run). */
  cacheStatistics: CacheStatistics | null;
  /** Newest checkpoint, where a resumed run continues. */
  checkpoint: string | null;
  /** `final/`: config.json + model.safetensors of the EMA weights. */
  finalDir: string | null;
  globalStep: number;
  /** Final generation: one PNG per prompt, and their grid. */
  generated: string[];
  generatedGrid: string | null;
  /** Loss curve, validation-sample grid and HTML page (`plotRun`). */
  report: PlotRunResult | null;
  seconds: number;
}

/** The cache's statistics when it already exists (a dry run of `--normalisation from-cache`). */
async function existingStatistics(cacheDir: string): Promise<CacheStatistics | undefined> {
  return existsSync(join(cacheDir, MANIFEST_FILE)) ? cacheStatistics(cacheDir) : undefined;
}

/**
 * The faithful reproduction, end to end: cache flowers-200 with EQ-SDXL-VAE and T5Gemma 2, print
 * the cache statistics, train SingleStreamDiTV2 over the original's three phases (1201 epochs,
 * batch 8, validation every 5 epochs, checkpoints every 10), then generate from the EMA weights
 * with RK4, 50 steps, CFG 1.5 and plot the run. Resumable; `dryRun` only plans.
 */
export async function runFlowersThreePhase(options: FlowersOptions): Promise<FlowersResult> {
  const started = Date.now();
  const flowers = resolveFlowersOptions(options);
  const scale = SCALES[flowers.scale];
  const log = flowers.log;
  const outDir = resolve(flowers.out);
  const cacheDir = resolve(flowers.cache);
  const epochs = flowers.epochs ?? scale.defaultEpochs;
  const downsample = scale.pixelFactor ?? 8; // SDXL VAEs; the loaded VAE's own factor decides the cache
  const modelConfig = { ...scale.model, ...flowers.model };

  // 1. The plan: buckets from the image headers, steps, memory and time. Nothing is loaded yet.
  const scan = await scanDataset(flowers.dataset, scale.buckets);
  let stats = flowers.normalisation === 'from-cache' && flowers.dryRun ? await existingStatistics(cacheDir) : undefined;
  const plannedNormalisation = stats || flowers.normalisation === 'preset' ? flowers.normalisation : 'preset';
  let schedule = flowersSchedule({ schedule: flowers.schedule, epochs, normalisation: plannedNormalisation, stats });
  const planOptions = {
    scale: scale.name,
    dataset: scan,
    schedule,
    batchSize: flowers.batchSize,
    flip: flowers.flip,
    model: modelConfig,
    downsample,
    optimizer: flowers.optimizer,
    memoryBudget: flowers.memoryBudget,
    backend: flowers.backend,
  };
  // The plan without time first; the timed steps use the micro-batch and checkpointing its memory plan chose.
  const untimed = makePlan({ ...planOptions, stepTiming: null });
  log(`flowers-three-phase, ${scale.name} scale${flowers.dryRun ? ': dry run (nothing is loaded or trained)' : ''}`);
  for (const line of formatPlan(untimed)) log(line);
  // A dry run times training steps for its time per epoch; a real run shows its own pace as it goes.
  const timeSteps = flowers.dryRun && flowers.timeBudget > 0;
  if (timeSteps) log(`timing training steps on ${flowers.backend ?? backendInUse()} (about ${flowers.timeBudget} s; a first step on a slow backend can take longer)...`);
  const stepTiming = timeSteps
    ? await timeTrainingStep({ model: modelConfig, dataset: scan, batchSize: flowers.batchSize, downsample, optimizer: flowers.optimizer, memory: untimed.memory, budgetSeconds: flowers.timeBudget })
    : null;
  const plan = makePlan({ ...planOptions, stepTiming });
  if (flowers.dryRun) for (const line of formatTime(plan)) log(line);
  if (plannedNormalisation !== flowers.normalisation) {
    log(`note: the table shows the original's normalisation; ${flowers.dryRun ? `there is no cache at ${cacheDir} yet` : "this cache's statistics replace it below"}`);
  }
  const base = {
    outDir,
    plan,
    schedule,
    normalisation: phaseNormalisation(plannedNormalisation, stats),
    cacheStatistics: stats ?? null,
    checkpoint: null,
    finalDir: null,
    globalStep: 0,
    generated: [],
    generatedGrid: null,
    report: null,
  };
  const elapsed = () => (Date.now() - started) / 1000;
  if (flowers.dryRun) return { status: 'dry-run', ...base, seconds: elapsed() };
  const empty = plan.phases.find((phase) => phase.stepsPerEpoch === 0);
  if (empty) throw new Error(`batchSize ${flowers.batchSize}: no bucket of ${flowers.dataset} holds a full batch in phase '${empty.name}'; lower --batch-size`);

  // 2. The cache, the encoded prompts and the latent statistics.
  await mkdir(outDir, { recursive: true });
  const autoencoder = await loadAutoencoder(scale, flowers.vae);
  try {
    const prepared = await prepareCache({ flowers, scale, cacheDir, outDir, autoencoder });
    if (prepared.status === 'interrupted') return { status: 'interrupted', ...base, seconds: elapsed() };
    const { prompts } = prepared;
    stats = prepared.stats;

    // 3. The schedule, with the phase 2/3 normalisation chosen.
    const normalisation = phaseNormalisation(flowers.normalisation, stats);
    log(`phase 2/3 normalisation: offset ${normalisation.offset.toFixed(4)}, std ${normalisation.std.toFixed(4)}, ${normalisation.source}`);
    schedule = flowersSchedule({ schedule: flowers.schedule, epochs, normalisation: flowers.normalisation, stats });
    await writeJsonAtomic(join(outDir, 'schedule.json'), schedule);

    // 4. Training: one resumable run of all phases.
    const dataset = await CachedDataset.open({ cacheDir, inMemory: true });
    const [inChannels] = dataset.entries[0].latentShape;
    const [textLength, textDim] = dataset.entries[0].textShape;
    const model = new SingleStreamDiTV2({ ...modelConfig, inChannels, textDim, textLength, seed: flowers.seed });
    // The original validated on one fixed entry, 39.pt.
    const validationEntry = Math.max(0, dataset.entries.findIndex((entry) => !entry.flipped && entry.source.replace(/\.\w+$/, '') === '39'));
    const logger: Logger = { info: log, warn: (line) => log(`warning: ${line}`) };
    let result;
    try {
      result = await train({
        model,
        dataset,
        schedule,
        outputDir: outDir,
        seed: flowers.seed,
        batchSize: flowers.batchSize,
        memoryBudget: flowers.memoryBudget,
        optimizer: { kind: flowers.optimizer },
        checkpointEvery: flowers.checkpointEvery,
        keepLast: 3,
        keepEvery: flowers.keepEvery,
        resume: flowers.resume,
        validation: { autoencoder, every: flowers.validateEvery, entries: [validationEntry], steps: flowers.validationSteps, seed: flowers.seed },
        signal: flowers.signal,
        progress: flowers.progress,
        logger,
      });
    } finally {
      model.dispose();
    }
    const trained = { ...base, schedule, normalisation, cacheStatistics: stats, checkpoint: result.checkpoint, finalDir: result.finalDir, globalStep: result.position.globalStep };
    if (result.status === 'interrupted' || !result.finalDir) {
      log(`stopped at epoch ${result.position.epoch}, step ${result.position.globalStep}; run the same command with --resume to continue from ${result.checkpoint}`);
      return { status: 'interrupted', ...trained, seconds: elapsed() };
    }

    // 5. The original's inference from the EMA weights, and the report.
    const generated = await generateFinalImages({
      finalDir: result.finalDir,
      prompts,
      autoencoder,
      bucket: scale.buckets[0],
      outDir: join(outDir, 'generated'),
      sampler: flowers.sampler,
      steps: flowers.sampleSteps,
      guidanceScale: flowers.guidanceScale,
      seed: flowers.seed,
      log,
    });
    const report = await plotRun({ runDir: outDir });
    const done = { status: 'completed' as const, ...trained, generated: generated.files, generatedGrid: generated.grid, report, seconds: elapsed() };
    await writeJsonAtomic(join(outDir, 'result.json'), { ...done, cacheStatistics: undefined });
    return done;
  } finally {
    autoencoder.dispose();
  }
}
