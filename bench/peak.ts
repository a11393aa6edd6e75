/**
 * The peak the training-step GFLOP/s are compared with: a measured scalar multiply-add rate of this JS engine
 * (eight independent accumulators over an L1-resident array, one core), and the hardware's nominal vector peak
 * (assumed: 2 FMA pipes × 16 float32 lanes (AVX-512) = 64 FLOP per cycle per core, at the clock the OS reports).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { timeMedian } from './lib.js';

/** Measured scalar JS rate, GFLOP/s on one core (multiply-add = 2 FLOPs). */
export function scalarPeak(): number {
  const n = 1024;
  const a = new Float64Array(n).map((_, i) => 1 + i * 1e-6);
  const reps = 200;
  let sink = 0;
  const run = (): void => {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let r = 0; r < reps; r++) {
      for (let i = 0; i < n; i += 8) {
        s0 += a[i] * 0.999; s1 += a[i + 1] * 0.999; s2 += a[i + 2] * 0.999; s3 += a[i + 3] * 0.999;
        s4 += a[i + 4] * 0.999; s5 += a[i + 5] * 0.999; s6 += a[i + 6] * 0.999; s7 += a[i + 7] * 0.999;
      }
    }
    sink += s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
  };
  const ms = timeMedian(run, { warmup: 20, minMs: 300 });
  if (!Number.isFinite(sink)) throw new Error('bench/peak: non-finite sum');
  return (2 * n * reps) / ms / 1e6;
}

/** Nominal vector peak of the machine in GFLOP/s (assumption in the header) and its inputs. */
export function nominalPeak(): { gflops: number; cores: number; mhz: number } {
  const cs = cpus();
  let mhz = cs[0]?.speed ?? 0;
  if (!mhz) {
    // some VMs report speed 0; /proc/cpuinfo still has the clock
    try {
      mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 0);
    } catch {
      mhz = 0;
    }
  }
  return { gflops: (64 * mhz * cs.length) / 1000, cores: cs.length, mhz };
}
