/** A checkpoint found damaged, and why. */
export interface DamagedCheckpoint {
  name: string;
  path: string;
  problem: string;
}

/** The newest checkpoint that passed every check (files, digests, finite weights). */
export interface GoodCheckpoint {
  name: string;
  path: string;
  step: number;
}

/** How to say "resume from this one" and "fall back" to the caller (API options or CLI flags). */
export interface ResumeAdvice {
  resumeFrom: (checkpoint: GoodCheckpoint) => string;
  fallback: string;
}

export const API_RESUME_ADVICE: ResumeAdvice = {
  resumeFrom: (checkpoint) => `resume: '${checkpoint.path}'`,
  fallback: 'resumeFallback: true',
};

/**
 * Resuming stopped at a damaged checkpoint: `damaged` lists each one found, newest first;
 * `newestGood` is where the run can continue from, or null when every checkpoint is damaged.
 * Nothing in the run folder was changed.
 */
export class DamagedCheckpointError extends Error {
  constructor(
    readonly checkpointsDir: string,
    readonly damaged: DamagedCheckpoint[],
    readonly newestGood: GoodCheckpoint | null,
    advice: ResumeAdvice = API_RESUME_ADVICE,
  ) {
    super(describeDamagedCheckpoints(checkpointsDir, damaged, newestGood, advice));
    this.name = 'DamagedCheckpointError';
  }
}

/** The message of a DamagedCheckpointError, in the words of `advice`. */
export function describeDamagedCheckpoints(checkpointsDir: string, damaged: readonly DamagedCheckpoint[], newestGood: GoodCheckpoint | null, advice: ResumeAdvice): string {
  const lines = damaged.map((d) => `  ${d.name}: ${d.problem}`);
  if (!newestGood) {
    return [
      `cannot resume: every checkpoint in ${checkpointsDir} is damaged:`,
      ...lines,
      'Nothing was changed (checkpoints and logs are as they were). To start a new run, use another output folder or move this one away.',
    ].join('\n');
  }
  const which = damaged.length === 1 ? `checkpoint ${damaged[0].name} is damaged` : `${damaged.length} checkpoints are damaged`;
  return [
    `cannot resume: ${which}:`,
    ...lines,
    `The newest good checkpoint is ${newestGood.name} (step ${newestGood.step}): continue from it with ${advice.resumeFrom(newestGood)}, ` +
      `or add ${advice.fallback} to take the newest good checkpoint (damaged ones are then moved out of the way, not deleted). Nothing was changed.`,
  ].join('\n');
}
