import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExponentialAverage, Progress, Rng } from '@dit/core';
import { LatentNormalization } from '@dit/flow';
import { latestCheckpoint } from './checkpoint/list.js';
import { restoreCheckpoint } from './checkpoint/load.js';
import { resumeCheckpoint } from './resume-checkpoint.js';
import { existingRunFiles, moveRunAside, refuseNewRun } from './run-folder.js';
import { describeNonFinite, nonFiniteTensorNames } from './checkpoint/finite.js';
import { applyRetention, removeStaleTemporaries } from './checkpoint/retention.js';
import { saveCheckpoint } from './checkpoint/save.js';
import type { CheckpointReason, TrainPosition } from './checkpoint/state.js';
import { Ema } from './ema.js';
import { writeFinalPipeline } from './final-pipeline.js';
import { NonFiniteError } from './errors.js';
import { describeNonFiniteInputs, nonFiniteInputs } from './non-finite-inputs.js';
import { withWeights } from './internals/swap-weights.js';
import { CsvLog } from './logs/csv-log.js';
import { JsonlLog } from './logs/jsonl-log.js';
import { describePlan, modelMemoryEstimate, planMemory, type MemoryPlan } from './memory-plan.js';
import { createOptimizer } from './optim/create.js';
import { recordedTrainingConfig, resolveTrainOptions, type TrainOptions } from './options.js';
import { learningRateFor, planPhases } from './phase-plan.js';
import { phaseIndexAt, phaseLength } from './phases.js';
import { runTrainStep } from './train-step.js';
import { BufferPoolGuard } from './internals/buffer-pool-guard.js';
import { runValidation, VALIDATION_DEFAULTS } from './validation.js';

export interface TrainResult {
  /** 'completed': the schedule ran to its end. 'interrupted': a stop request ended it early, after a checkpoint. */
  status: 'completed' | 'interrupted';
  position: TrainPosition;
  /** The newest checkpoint (where to resume from). */
  checkpoint: string | null;
  /** With status 'completed': `final/`, a pipeline folder (config.json + model.safetensors of the EMA weights when there is an EMA, pipeline.json): load it with `DiTPipeline.fromPretrained`. */
  finalDir: string | null;
  skippedSteps: number;
  memoryPlan: MemoryPlan;
}

/**
 * Runs a training schedule (SPEC section 6) on a model, resumable at any step: flow-matching
 * loss from @dit/flow, AdamW, gradient clipping and accumulation, EMA, LR schedules per phase,
 * periodic validation samples, atomic checkpoints with retention, log.csv and log.jsonl.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const training = resolveTrainOptions(options);
  const { model, dataset, schedule, logger } = training;
  const dirs = { checkpoints: join(training.outputDir, 'checkpoints'), samples: join(training.outputDir, 'samples'), final: join(training.outputDir, 'final') };
  try {
    await mkdir(training.outputDir, { recursive: true });
  } catch (error) {
    throw new Error(`outputDir ${training.outputDir}: cannot create it: ${(error as Error).message}`);
  }
  await removeStaleTemporaries(dirs.checkpoints);

  const plans = planPhases({ schedule, dataset, batchSize: training.batchSize, seed: training.seed });
  const memoryPlan = planMemory({
    config: model.config,
    batchSize: training.batchSize,
    latentSizes: dataset.entries.map((entry) => ({ height: entry.latentShape[1], width: entry.latentShape[2] })),
    budget: training.memoryBudget,
    microBatch: training.microBatch,
    checkpointing: training.gradientCheckpointing ?? (training.memoryBudget === undefined ? model.gradientCheckpointing : undefined),
    estimate:
      training.estimateMemory ??
      modelMemoryEstimate({ stateCopies: ((training.optimizer?.kind ?? 'adamw') === 'adamw' ? 2 : 0) + (schedule.some((phase) => phase.ema !== false) ? 1 : 0) }),
  });
  logger.info(describePlan(memoryPlan));
  const bufferPool = new BufferPoolGuard(memoryPlan);
  const checkpointingBefore = model.gradientCheckpointing;
  model.gradientCheckpointing = memoryPlan.checkpointing;

  const variables = new Map(model.namedVariables().map(({ name, variable }) => [name, variable]));
  const optimizer = createOptimizer(variables, training.optimizer);
  let ema: Ema | null = null;
  const root = new Rng(`train/${training.seed}`);
  const rngs = { noise: root.fork('noise'), timesteps: root.fork('timesteps'), textDropout: root.fork('text-dropout') };
  let position: TrainPosition = { phaseIndex: 0, phaseName: schedule[0].name, epoch: schedule[0].epochs[0], batch: 0, globalStep: 0, phaseStep: 0 };
  let counters = { skippedSteps: 0, imagesSeen: 0, trainSeconds: 0 };
  let lastCheckpoint: string | null = null;
  let savedAtStep = -1;
  const trainingConfig = recordedTrainingConfig(training, memoryPlan);
  let progress: Progress | null = null;

  try {
    // --- resume ---
    const runFiles = await existingRunFiles(training.outputDir);
    if (training.resume === false && runFiles.length > 0) {
      if (!training.startOver) throw new Error(refuseNewRun(training.outputDir, runFiles, (await latestCheckpoint(dirs.checkpoints))?.path));
      logger.warn(`starting over: the previous run's files (${runFiles.join(', ')}) are now in ${await moveRunAside(training.outputDir, runFiles)}`);
    }
    const resumed =
      training.resume === false
        ? null
        : await resumeCheckpoint({
            outputDir: training.outputDir,
            checkpointsDir: dirs.checkpoints,
            resume: training.resume,
            fallback: training.resumeFallback,
            logger,
            restore: (path) => restoreCheckpoint({ path, model, optimizer, createEma: (decay) => new Ema(variables, { decay }) }),
          });
    if (resumed) {
      const { state } = resumed;
      ema = resumed.ema;
      position = { ...state.position };
      counters = { ...state.counters };
      for (const [name, rng] of Object.entries(rngs)) if (state.rng[name]) rng.setState(state.rng[name]);
      lastCheckpoint = resumed.path;
      savedAtStep = position.globalStep;
      const changed = Object.keys(trainingConfig).filter((key) => JSON.stringify(trainingConfig[key]) !== JSON.stringify(state.config.training[key]));
      if (changed.length > 0) {
        logger.warn(`resuming with changed settings (${changed.map((k) => `${k}: ${JSON.stringify(state.config.training[k])} -> ${JSON.stringify(trainingConfig[k])}`).join(', ')}); the run will not match an uninterrupted one`);
      }
      const index = phaseIndexAt(schedule, position.epoch);
      position.phaseIndex = index === -1 ? schedule.length : index;
      if (index !== -1 && schedule[index].name !== position.phaseName) {
        logger.warn(`the checkpoint was in phase '${position.phaseName}'; epoch ${position.epoch} is in phase '${schedule[index].name}' of this schedule`);
      }
      position.phaseName = schedule[index]?.name ?? 'done';
      logger.info(`resuming from ${resumed.path}: phase '${position.phaseName}', epoch ${position.epoch}, batch ${position.batch}, step ${position.globalStep}`);
    } else if (training.resume !== false) {
      logger.info(`no checkpoint in ${dirs.checkpoints} yet; starting at step 0${runFiles.length > 0 ? ' (log rows of the attempt that made no checkpoint are replaced)' : ''}`);
    }
    // A resume keeps log rows up to its checkpoint (step 0 when there was none); only a new run starts new logs.
    const logsFrom = training.resume === false ? undefined : position.globalStep;

    const csv = await CsvLog.open({ path: join(training.outputDir, 'log.csv'), resumeStep: logsFrom });
    const jsonl = await JsonlLog.open({ path: join(training.outputDir, 'log.jsonl'), resumeStep: logsFrom });
    const totalSteps = plans.reduce((sum, plan) => sum + plan.stepsPerEpoch * phaseLength(plan.phase), 0);
    // The progress line: phase, epoch, step, steps/s, ETA, the loss smoothed over recent steps, LR.
    progress = training.progress ? new Progress('step', totalSteps, { unit: 'step', start: position.globalStep }) : null;
    const smoothedLoss = new ExponentialAverage();
    const startTime = performance.now();

    // Weights the original's code cannot run (text length other than 256...) are said once a run.
    let originalWarned = false;
    const warnOncePerRun = (message: string) => {
      if (!originalWarned) logger.warn(message);
      originalWarned = true;
    };
    // A checkpoint never holds NaN or Inf weights: it could not be called a good state.
    const brokenWeights = async (): Promise<string | null> => {
      const bad = await nonFiniteTensorNames(variables);
      if (bad.length > 0) return `the weights themselves hold ${describeNonFinite(bad, variables.size, 'the model')}`;
      const badEma = ema ? await nonFiniteTensorNames(ema.weights) : [];
      return badEma.length > 0 ? `the EMA weights hold ${describeNonFinite(badEma, ema!.weights.size, 'the EMA')}` : null;
    };
    const newestGoodAdvice = (): string =>
      lastCheckpoint
        ? `the newest checkpoint, ${lastCheckpoint} (step ${savedAtStep}), has finite weights: resume from it with resume: '${lastCheckpoint}' and a lower learning rate`
        : 'there is no earlier checkpoint: start again with a lower learning rate';

    const save = async (reason: CheckpointReason): Promise<string> => {
      progress?.break();
      const broken = await brokenWeights();
      if (broken) {
        throw new NonFiniteError(
          `${broken} after step ${position.globalStep} (phase '${position.phaseName}', epoch ${position.epoch}), so no ${reason} checkpoint was written (it would not be a good state); ${newestGoodAdvice()}`,
          { phase: position.phaseName, epoch: position.epoch, step: position.globalStep, loss: Number.NaN, gradNorm: Number.NaN, checkpoint: lastCheckpoint },
        );
      }
      const { name, path } = await saveCheckpoint({
        dir: dirs.checkpoints,
        model,
        optimizer,
        ema,
        onWarning: warnOncePerRun,
        state: {
          reason,
          position: { ...position },
          completedEpoch: position.batch === 0 ? position.epoch - 1 : null,
          lr: learningRateFor(plans[Math.min(position.phaseIndex, plans.length - 1)], position),
          rng: Object.fromEntries(Object.entries(rngs).map(([k, rng]) => [k, rng.getState()])),
          sampler: plans[position.phaseIndex]
            ? { epoch: position.epoch, position: position.batch, seed: training.seed, batchSize: training.batchSize, items: plans[position.phaseIndex].items }
            : null,
          counters: { ...counters },
          config: { model: { ...model.config }, schedule: schedule.map((p) => ({ ...p })), training: trainingConfig },
        },
      });
      lastCheckpoint = path;
      savedAtStep = position.globalStep;
      await applyRetention({ dir: dirs.checkpoints, keepLast: training.keepLast, keepEvery: training.keepEvery, protect: [name] });
      await jsonl.append({ type: 'checkpoint', step: position.globalStep, reason, path });
      logger.info(`checkpoint (${reason}): ${path}`);
      await training.onCheckpoint?.({ path, name, reason, position: { ...position } });
      return path;
    };

    const interrupted = async (): Promise<TrainResult> => {
      const path = savedAtStep === position.globalStep && lastCheckpoint ? lastCheckpoint : await save('interrupt');
      await jsonl.append({ type: 'stop', step: position.globalStep, reason: String(training.signal?.reason ?? 'stop requested'), checkpoint: path });
      logger.info(`stopped at step ${position.globalStep} (phase '${position.phaseName}', epoch ${position.epoch}); resume with resume: true and outputDir ${training.outputDir} (checkpoint ${path})`);
      return { status: 'interrupted', position: { ...position }, checkpoint: path, finalDir: null, skippedSteps: counters.skippedSteps, memoryPlan };
    };

    // --- the schedule ---
    while (position.phaseIndex < schedule.length) {
      const plan = plans[position.phaseIndex];
      const { phase } = plan;
      const starting = position.epoch === phase.epochs[0] && position.batch === 0 && position.phaseStep === 0;
      if (starting) {
        if (position.globalStep > 0 && (phase.resetOptimizer ?? true)) optimizer.reset();
        if (phase.ema !== false && !ema) ema = new Ema(variables, { decay: phase.ema });
        await jsonl.append({ type: 'phase', step: position.globalStep, phase: phase.name, epochs: phase.epochs });
      }
      logger.info(`phase '${phase.name}' (epochs ${phase.epochs[0]}-${phase.epochs[1]}, ${plan.stepsPerEpoch} steps an epoch, loss ${phase.loss})${starting ? '' : `, resumed at epoch ${position.epoch}`}`);
      await training.onPhase?.({ phase: phase.name, index: position.phaseIndex, firstEpoch: phase.epochs[0], resumed: !starting });
      const latentNorm = new LatentNormalization({ scalingFactor: training.validation ? training.validation.autoencoder.scalingFactor : 1, ...phase.latentNorm });

      while (position.epoch <= phase.epochs[1]) {
        const epoch = position.epoch;
        const batches = plan.sampler.batchesForEpoch(epoch);
        const epochStart = performance.now();
        let lossSum = 0;
        let lossCount = 0;
        while (position.batch < batches.length) {
          if (training.signal?.aborted) return await interrupted();
          bufferPool.beforeStep(batches[position.batch].bucket);
          const record = await runTrainStep({
            model,
            dataset,
            plan,
            position,
            batch: batches[position.batch],
            rngs,
            seed: training.seed,
            latentNorm,
            optimizer,
            ema,
            microBatch: memoryPlan.microBatch,
            maxGradNorm: training.maxGradNorm,
            timestepBins: training.timestepBins,
          });
          record.elapsed = (performance.now() - startTime) / 1000;
          if (record.skipped) {
            counters.skippedSteps += 1;
            // Damaged data, not the learning rate, is the usual cause: look at the batch's inputs first.
            const inputs = await nonFiniteInputs(dataset, batches[position.batch]);
            const badInputs =
              inputs instanceof Error
                ? `the batch no longer loads (${inputs.message})`
                : inputs.length > 0
                  ? `the batch's inputs hold NaN or Inf: ${describeNonFiniteInputs(inputs)}; that is the data, not the learning rate: repair or remove those entries (for a cache, dit check-cache <cache> names every damaged entry and preprocess encodes them again)`
                  : null;
            if (training.nonFinite === 'stop' || counters.skippedSteps > training.maxSkippedSteps) {
              const why = training.nonFinite === 'stop' ? '' : ` (more than maxSkippedSteps ${training.maxSkippedSteps} skipped)`;
              const what = Number.isFinite(record.loss) ? `gradient (norm ${record.gradNorm})` : `loss (${record.loss})`;
              const failed = `non-finite ${what} at step ${record.step} (epoch ${epoch}, batch ${position.batch}) in phase '${phase.name}'${why}`;
              const details = {
                phase: phase.name,
                epoch,
                step: record.step,
                loss: record.loss,
                gradNorm: record.gradNorm,
                inputs: inputs instanceof Error ? [] : inputs.map((input) => input.name),
              };
              const broken = await brokenWeights();
              if (broken) {
                throw new NonFiniteError(`${failed}; ${broken}: an earlier update broke them, so no checkpoint was written (it would not be a good state); ${badInputs ? `also, ${badInputs}; ` : ''}${newestGoodAdvice()}`, {
                  ...details,
                  checkpoint: lastCheckpoint,
                });
              }
              const path = await save('non-finite');
              const cause = badInputs ?? "the batch's inputs and the weights are finite, so the step itself overflowed";
              const advice = badInputs ? 'resume with resume: true once the data is repaired' : 'resume with resume: true (the batch is drawn again with new noise), or lower the learning rate';
              throw new NonFiniteError(`${failed}; ${cause}; saved the state before this step (its weights are finite) to ${path}; ${advice}`, { ...details, checkpoint: path });
            }
            logger.warn(`step ${record.step}: non-finite loss or gradient, update skipped (${counters.skippedSteps} so far)${badInputs ? `; ${badInputs}` : ''}`);
          } else {
            lossSum += record.loss;
            lossCount += 1;
          }
          position.batch += 1;
          position.globalStep += 1;
          position.phaseStep += 1;
          counters.imagesSeen += training.batchSize;
          counters.trainSeconds += record.seconds;
          await csv.append({ epoch, globalStep: record.step, loss: record.loss, lr: record.lr });
          await jsonl.append(record);
          if (Number.isFinite(record.loss)) smoothedLoss.add(record.loss);
          if (progress) {
            progress.label = `${phase.name} | epoch ${epoch} | step`;
            progress.tick(1, `| loss ${smoothedLoss.value.toFixed(4)} | lr ${record.lr.toExponential(2)}`, record.seconds);
          }
          await training.onStep?.(record);
        }

        // --- end of epoch ---
        position.epoch += 1;
        position.batch = 0;
        const phaseEnds = epoch === phase.epochs[1];
        if (phaseEnds) {
          position.phaseIndex += 1;
          position.phaseStep = 0;
          position.phaseName = schedule[position.phaseIndex]?.name ?? 'done';
        }
        const seconds = (performance.now() - epochStart) / 1000;
        const meanLoss = lossCount > 0 ? lossSum / lossCount : Number.NaN;
        await jsonl.append({ type: 'epoch', step: position.globalStep, phase: phase.name, epoch, meanLoss, seconds });
        progress?.break();
        logger.info(`epoch ${epoch} (${phase.name}): mean loss ${meanLoss.toFixed(4)}, ${seconds.toFixed(1)} s`);
        await training.onEpoch?.({ phase: phase.name, epoch, meanLoss, steps: lossCount, seconds, globalStep: position.globalStep });
        const last = position.phaseIndex >= schedule.length;
        const every = training.validation ? (training.validation.every ?? VALIDATION_DEFAULTS.every) : 0;
        if (training.validation && ((epoch > 0 && epoch % every === 0) || last)) {
          const events = await runValidation({ model, dataset, validation: training.validation, epoch, step: position.globalStep, latentNorm, ema, samplesDir: dirs.samples, onSample: training.onSample });
          for (const { kind, prompt, path } of events) await jsonl.append({ type: 'validation', step: position.globalStep, epoch, kind, prompt, path });
        }
        if ((epoch > 0 && epoch % training.checkpointEvery === 0) || phaseEnds) await save(last ? 'final' : phaseEnds ? 'phase-end' : 'periodic');
        if (!last && training.signal?.aborted) return await interrupted();
        if (phaseEnds) break;
      }
    }

    if (savedAtStep !== position.globalStep) await save('final');
    // The result: EMA weights when there is an EMA (SPEC section 6), otherwise the trained ones,
    // with pipeline.json naming its parts, so that DiTPipeline.fromPretrained(finalDir) needs nothing else.
    if (ema) await withWeights(variables, ema.weights, () => model.savePretrained(dirs.final, { onWarning: warnOncePerRun }));
    else await model.savePretrained(dirs.final, { onWarning: warnOncePerRun });
    await writeFinalPipeline({ dir: dirs.final, dataset, schedule, autoencoder: training.validation ? training.validation.autoencoder : undefined, pipeline: training.pipeline });
    logger.info(`training complete after ${position.globalStep} steps; result (${ema ? 'EMA' : 'trained'} weights) in ${dirs.final}`);
    return { status: 'completed', position: { ...position }, checkpoint: lastCheckpoint, finalDir: dirs.final, skippedSteps: counters.skippedSteps, memoryPlan };
  } finally {
    progress?.break();
    model.gradientCheckpointing = checkpointingBefore;
    optimizer.dispose();
    ema?.dispose();
  }
}
