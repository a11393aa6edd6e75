/**
 * Node host of saeno's optional worker pool (core/parallel.ts): starts `threads − 1` worker_threads running
 * bench/thread-worker.ts (through tsx's loader when run from TypeScript sources) and hands them to the core.
 */
import { Worker } from 'node:worker_threads';
import { setWorkers } from '../src/core/parallel.js';

/** Uses `threads` threads (the caller plus threads − 1 workers) for the fused kernels; returns a stopper. */
export function useThreads(threads: number): () => Promise<void> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`useThreads: threads must be a positive integer, got ${threads}`);
  const entry = new URL(import.meta.url.endsWith('.ts') ? './thread-worker.ts' : './thread-worker.js', import.meta.url).href;
  // worker threads do not inherit tsx's loader hooks: register them before importing the TypeScript entry
  const code = import.meta.url.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
  const workers = Array.from({ length: threads - 1 }, () => new Worker(code, { eval: true }));
  for (const w of workers) w.unref();
  setWorkers(workers);
  return async () => {
    setWorkers(null);
    await Promise.all(workers.map((w) => w.terminate()));
  };
}
