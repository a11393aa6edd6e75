/** `--threads <n>` of the commands that train or infer: the flag, its validation, and running the command on a pool (io/threads.ts). */
import { Option } from 'commander';
import { defaultThreads, MAX_THREADS, useThreads, type ThreadPool } from '../io/threads.js';
import { UsageError } from './errors.js';

/** The `--threads <n>` option (`command.addOption(threadsOption())`). */
export function threadsOption(): Option {
  return new Option('--threads <n>', `threads for the fused kernels, 1 to ${MAX_THREADS} (default: the available cores, here ${defaultThreads()}); results are bit-identical for any count`);
}

/** The thread count from the flag's text (absent: `defaultThreads()`); a bad value is a UsageError naming the flag. */
export function parseThreads(value: string | undefined): number {
  if (value === undefined) return defaultThreads();
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_THREADS) throw new UsageError(`--threads: must be an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(value)}`);
  return n;
}

/** The pool the commands of this process share (unref'd workers: it never holds the process, and dies with it). */
let kept: ThreadPool | null = null;

/**
 * The process's pool of `threads` threads, started (and waited for) unless it is already running. It stays open
 * for the next command of the same process (in-process callers such as the tests pay the worker start-up once,
 * and the kernels' cached tapes stay bound to a live pool); another count replaces it. A worker that fails to
 * start is a ThreadError naming it.
 */
export async function threadPool(threads: number): Promise<ThreadPool> {
  if (kept && kept.threads === threads && kept.failures.length === 0) return kept;
  await kept?.close();
  kept = null;
  const pool = useThreads(threads);
  try {
    await pool.ready;
  } catch (e) {
    await pool.close();
    throw e;
  }
  return (kept = pool);
}

/**
 * Runs a command's work on the process's pool of `threads` threads (`threadPool`). A chunk that fails in a
 * worker becomes one error line naming the worker; a worker that dies while the work still succeeds is a warning.
 */
export async function runWithThreads<T>(threads: number, fn: () => Promise<T> | T): Promise<T> {
  const pool = await threadPool(threads);
  let out: T;
  try {
    out = await fn();
  } catch (e) {
    throw await pool.explain(e);
  }
  for (const f of pool.failures) process.stderr.write(`saeno: warning: ${f.split('\n')[0]} (the work finished on the remaining threads)\n`);
  return out;
}
