import type { RgbImage } from '@dit/data';
import type { CheckpointReason, TrainPosition } from './checkpoint/state.js';
import type { StepRecord } from './logs/jsonl-log.js';

export type StepInfo = StepRecord;

export interface EpochInfo {
  phase: string;
  epoch: number;
  /** Mean loss over the epoch's finite steps in this process. */
  meanLoss: number;
  steps: number;
  seconds: number;
  globalStep: number;
}

export interface PhaseInfo {
  phase: string;
  index: number;
  firstEpoch: number;
  /** True when this process resumed inside the phase rather than starting it. */
  resumed: boolean;
}

export interface CheckpointEvent {
  path: string;
  name: string;
  reason: CheckpointReason;
  position: TrainPosition;
}

export interface SampleEvent {
  epoch: number;
  step: number;
  /** Trained ('raw') or averaged ('ema') weights. */
  kind: 'raw' | 'ema';
  prompt: string;
  path: string;
  image: RgbImage;
}

/** Hooks for examples and programs; each may return a promise, which the trainer awaits. */
export interface TrainCallbacks {
  onStep?: (info: StepInfo) => void | Promise<void>;
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
  onPhase?: (info: PhaseInfo) => void | Promise<void>;
  onCheckpoint?: (info: CheckpointEvent) => void | Promise<void>;
  onSample?: (info: SampleEvent) => void | Promise<void>;
}
