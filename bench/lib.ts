/** Benchmark helpers: median timing, child processes and the JSON-lines output format of `npm run bench`. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchRecord {
  case: string;
  impl: string;
  ms: number;
  params: Record<string, unknown>;
  [extra: string]: unknown;
}

/** One JSON object per line on stdout; everything else goes to stderr. */
export function emit(rec: BenchRecord): void {
  process.stdout.write(`${JSON.stringify(rec)}\n`);
}

/**
 * Median milliseconds per call of `fn`, after `warmup` calls, over at least `minReps`
 * repetitions and at least `minMs` of total time (so fast cases are timed stably).
 */
export function timeMedian(fn: () => void, opts: { warmup?: number; minReps?: number; minMs?: number; maxReps?: number } = {}): number {
  const { warmup = 3, minReps = 10, minMs = 300, maxReps = 10000 } = opts;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  let total = 0;
  while ((times.length < minReps || total < minMs) && times.length < maxReps) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
}

/** The value after `--name` on the command line, or null. */
export function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : null;
}

/** Logs progress to stderr so stdout stays pure JSON lines. */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** A file of bench/ by path, and the repository root (children run there). */
export const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
export const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a command in the repository root, returns the JSON records it printed on stdout (its stderr passes through). */
export function jsonLines(cmd: string, args: string[], what: string): BenchRecord[] {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench: ${what} failed (exit ${r.status ?? r.signal})`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as BenchRecord);
}
