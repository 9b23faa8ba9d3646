export interface StopOnSignalsOptions {
  /** Default ['SIGINT', 'SIGTERM']. */
  signals?: NodeJS.Signals[];
  /** Told when the first signal arrives (e.g. to print "stopping after this step"). */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** A second signal exits at once with code 130, for when the current step takes too long. Default true. */
  exitOnSecondSignal?: boolean;
}

export const STOP_ON_SIGNALS_DEFAULTS = { signals: ['SIGINT', 'SIGTERM'] as NodeJS.Signals[], exitOnSecondSignal: true };

export interface StopHandle {
  /** Aborted by the first signal (or by `stop()`); pass it to `train({ signal })`. */
  signal: AbortSignal;
  /** Requests a stop without a process signal. */
  stop(reason?: string): void;
  /** Removes the process listeners. */
  dispose(): void;
}

/**
 * Turns SIGINT and SIGTERM into a stop request: the trainer finishes the step under way, writes
 * a checkpoint and returns, so the program can exit 0 and print how to resume. While the handle
 * is live, the signals no longer kill the process at once.
 */
export function stopOnSignals(options: StopOnSignalsOptions = {}): StopHandle {
  const { signals = STOP_ON_SIGNALS_DEFAULTS.signals, onSignal, exitOnSecondSignal = STOP_ON_SIGNALS_DEFAULTS.exitOnSecondSignal } = options;
  const controller = new AbortController();
  const listener = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      if (exitOnSecondSignal) process.exit(130);
      return;
    }
    onSignal?.(signal);
    controller.abort(new StopRequest(`received ${signal}`));
  };
  for (const signal of signals) process.on(signal, listener);
  return {
    signal: controller.signal,
    stop: (reason = 'stop requested') => controller.abort(new StopRequest(reason)),
    dispose: () => {
      for (const signal of signals) process.off(signal, listener);
    },
  };
}

/** The abort reason `stopOnSignals` uses. */
export class StopRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StopRequest';
  }
}
