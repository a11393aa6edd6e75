/**
 * Learning-rate schedules: constant, step decay, cosine. A pure function of the step, so a
 * resumed run needs no schedule state.
 */
import { z } from 'zod';

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  /** lr·factor^⌊step/every⌋. */
  z.strictObject({ kind: z.literal('step'), factor: z.number().positive(), every: z.int().positive() }),
  /** lr_min + (lr − lr_min)·(1 + cos(π·step/steps))/2 over the run's `steps`. */
  z.strictObject({ kind: z.literal('cosine'), minLr: z.number().nonnegative().default(0) }),
]);
export type Schedule = z.output<typeof scheduleSchema>;

/**
 * Learning rate of the update that follows `step` completed updates (step = 0 for the first).
 * @param base the initial rate; @param total the run's number of steps (cosine only).
 */
export function learningRate(schedule: Schedule, base: number, step: number, total: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * Math.pow(schedule.factor, Math.floor(step / schedule.every));
    case 'cosine': {
      const t = Math.min(1, step / Math.max(1, total));
      return schedule.minLr + ((base - schedule.minLr) * (1 + Math.cos(Math.PI * t))) / 2;
    }
  }
}
