/** The benchmarks' handle on the worker pool (src/io/threads.ts): `useThreads(n)` returns a stopper. */
import { useThreads as startPool } from '../src/io/threads.js';

/** Uses `threads` threads (the caller plus threads − 1 workers) for the fused kernels; returns a stopper. */
export function useThreads(threads: number): () => Promise<void> {
  const pool = startPool(threads);
  return () => pool.close();
}
