import { shiftTime } from '@dit/flow';

export interface TimestepGridOptions {
  /** Number of steps N; the grid has N + 1 times. Ignored when `timesteps` is given. */
  steps?: number;
  /** Shift (see `shiftTime` of @dit/flow) applied to the uniform grid; 1 = uniform. */
  shift?: number;
  /** A custom grid: strictly increasing times in [0, 1], at least two. Used as given. */
  timesteps?: readonly number[];
}

export const TIMESTEP_GRID_DEFAULTS = { steps: 50, shift: 1 } as const;

/**
 * Times t_0 < ... < t_N from noise towards data: t_i = shift(i / N) (SPEC section 3), or the
 * custom grid. A custom grid need not span [0, 1] (e.g. starting from a partly noised image).
 */
export function timestepGrid(options: TimestepGridOptions = {}): number[] {
  if (options.timesteps) return checkedCustomGrid(options.timesteps);
  const steps = options.steps ?? TIMESTEP_GRID_DEFAULTS.steps;
  const shift = options.shift ?? TIMESTEP_GRID_DEFAULTS.shift;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`timestepGrid: steps must be a positive integer, got ${steps}`);
  return Array.from({ length: steps + 1 }, (_, i) => (i === steps ? 1 : shiftTime(i / steps, shift)));
}

function checkedCustomGrid(timesteps: readonly number[]): number[] {
  if (timesteps.length < 2) throw new Error(`timestepGrid: timesteps needs at least two times, got ${timesteps.length}`);
  timesteps.forEach((t, i) => {
    if (!(t >= 0 && t <= 1)) throw new Error(`timestepGrid: timesteps[${i}] must lie in [0, 1], got ${t}`);
    if (i > 0 && !(t > timesteps[i - 1])) {
      throw new Error(`timestepGrid: timesteps must increase strictly, but timesteps[${i}] = ${t} follows ${timesteps[i - 1]}`);
    }
  });
  return [...timesteps];
}
