/**
 * Node host of the fused kernels' worker pool (core/parallel.ts): starts `threads − 1` worker_threads running
 * io/thread-worker (through tsx's loader when this module runs from the TypeScript sources) and hands them to
 * the core. Results are bit-identical for any thread count; only the wall time changes.
 *
 * The library API (`train`, `Trainer`, `model.infer`) stays browser-safe and takes no thread option: the pool
 * is process-wide, so a Node program wraps its work in `withThreads(n, …)` (or `useThreads`/`close`) and every
 * fused kernel inside uses it; a browser host does the same with Web Workers and `setWorkers`.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { CHUNKS, ParallelError, setWorkers } from '../core/parallel.js';

/** Thrown when a pool cannot start or one of its workers fails; the message names the worker and its error. */
export class ThreadError extends Error {
  override name = 'ThreadError';
}

/** The most threads that can help: the kernels cut every batch into `CHUNKS` chunks. */
export const MAX_THREADS = CHUNKS;

/** The default thread count: the cores available to this process, at most `MAX_THREADS`. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_THREADS));
}

/** What one worker did: tapes it mapped from shared memory and jobs it was sent (a job's chunks go to whichever lane is free). */
export interface WorkerStats {
  tapes: number;
  jobs: number;
}

/** Messages on a worker's report port (worker → host), see io/thread-worker.ts. */
export type WorkerReport = { type: 'ready' } | { type: 'error'; text: string } | ({ type: 'stats' } & WorkerStats);

/**
 * Code that imports the entry module next to this one: .ts from the sources (needs tsx's loader in the worker),
 * .js from dist. Always an eval'd dynamic import, never a file entry: a worker inherits the parent's flags, and a
 * file entry is refused under `--input-type` (a parent started with `node --input-type=module -e`), while passing
 * filtered `execArgv` instead would make Node reject inherited V8 and process flags (`--max-old-space-size`, ...).
 */
function workerCode(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = JSON.stringify(new URL(fromSource ? './thread-worker.ts' : './thread-worker.js', import.meta.url).href);
  if (!fromSource) return `import(${entry})`;
  // a worker does not inherit the loader hooks of its parent: register tsx's before importing the entry
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return `import(${tsx}).then((m) => { m.register(); return import(${entry}); })`;
}

let active: ThreadPool | null = null;

/**
 * A started pool: the calling thread plus `threads − 1` workers, active in core/parallel.ts until `close`.
 * Workers are unref'd (they never keep the process alive) and die with the process.
 */
export class ThreadPool {
  /** resolves when every worker has loaded the kernels; rejects with a ThreadError if one fails to start */
  readonly ready: Promise<void>;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly errors: string[] = [];
  private readonly listeners = new Set<(r: WorkerReport & { worker: number }) => void>();
  private waiting = 0;
  private closed = false;

  /** Same as `useThreads(threads)`. */
  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new ThreadError(`useThreads: threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
    if (active) throw new ThreadError(`useThreads: a pool of ${active.threads} threads is already active; close it first`);
    const starts: Array<Promise<void>> = [];
    try {
      const code = workerCode();
      for (let i = 0; i < threads - 1; i++) {
        const { port1, port2 } = new MessageChannel();
        const worker = new Worker(code, { eval: true, workerData: { report: port2 }, transferList: [port2] });
        worker.unref();
        const name = `worker thread ${i + 1} of ${threads - 1}`;
        let started: (err: string | null, cause?: unknown) => void = () => undefined;
        starts.push(
          new Promise<void>((resolve, reject) => {
            started = (err, cause) => {
              started = () => undefined;
              if (err === null) resolve();
              else reject(new ThreadError(`${name} failed to start: ${err.split('\n')[0]}`, { cause }));
            };
          }),
        );
        const fail = (text: string, cause: unknown = text) => {
          this.errors.push(`${name}: ${text}`);
          started(text, cause);
          for (const l of this.listeners) l({ type: 'error', text, worker: i });
        };
        port1.on('message', (r: WorkerReport) => {
          if (r.type === 'error') return fail(r.text);
          if (r.type === 'ready') started(null);
          for (const l of this.listeners) l({ ...r, worker: i });
        });
        worker.on('error', (e) => fail(`${e.name}: ${e.message}`, e));
        worker.on('exit', (code) => this.closed || fail(`exited (code ${code})`));
        this.workers.push(worker);
        this.ports.push(port1);
      }
    } catch (e) {
      this.closed = true; // their exits are expected
      for (const w of this.workers) void w.terminate();
      throw new ThreadError(`useThreads: cannot start a worker thread: ${(e as Error).message}`, { cause: e });
    }
    active = this;
    this.ready = this.hold(Promise.all(starts).then(() => undefined));
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    setWorkers(this.workers);
  }

  /** Keeps the report ports referenced while `p` is pending, so awaiting it keeps the process alive. */
  private async hold<T>(p: Promise<T>): Promise<T> {
    if (this.waiting++ === 0) for (const port of this.ports) port.ref();
    try {
      return await p;
    } finally {
      if (--this.waiting === 0) for (const port of this.ports) port.unref();
    }
  }

  /** Errors the workers reported so far (first line of each: which worker, what failed). */
  get failures(): readonly string[] {
    return this.errors;
  }

  /** Per-worker counters, asked on the jobs' channel (handled in order, so every job sent before is counted). */
  async stats(): Promise<WorkerStats[]> {
    if (this.closed) throw new ThreadError('ThreadPool.stats: the pool is closed');
    const out: WorkerStats[] = new Array(this.workers.length);
    let left = this.workers.length;
    if (left === 0) return out;
    const answered = new Promise<void>((resolve) => {
      const l = (r: WorkerReport & { worker: number }) => {
        if (r.type !== 'stats') return;
        out[r.worker] = { tapes: r.tapes, jobs: r.jobs };
        if (--left === 0) {
          this.listeners.delete(l);
          resolve();
        }
      };
      this.listeners.add(l);
    });
    for (const w of this.workers) w.postMessage({ type: 'stats' });
    await this.hold(answered);
    return out;
  }

  /**
   * `e` with what the workers reported added to its message: a ParallelError only says that a chunk failed,
   * the worker's own error arrives on its report port (waited for up to `waitMs`).
   */
  async explain(e: unknown, waitMs = 1000): Promise<unknown> {
    if (!(e instanceof ParallelError)) return e;
    if (this.errors.length === 0 && this.workers.length > 0) {
      await this.hold(
        new Promise<void>((resolve) => {
          const finish = () => {
            clearTimeout(timer);
            this.listeners.delete(l);
            resolve();
          };
          const timer = setTimeout(finish, waitMs);
          const l = (r: WorkerReport) => r.type === 'error' && finish();
          this.listeners.add(l);
        }),
      );
    }
    const first = this.errors[0]?.split('\n')[0];
    return first ? new ThreadError(`${e.message}: ${first}`, { cause: e }) : e;
  }

  /** Back to one thread: detaches the workers from the kernels and terminates them. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (active === this) {
      setWorkers(null);
      active = null;
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const port of this.ports) port.close();
    this.listeners.clear();
  }

  /** `await using pool = useThreads(n)` closes the pool at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Runs the fused kernels on `threads` threads (the caller plus `threads − 1` workers) until the pool's `close`.
 * Synchronous: work may start at once (chunks run on the calling thread until the workers have loaded);
 * `await pool.ready` to surface a start-up failure. One pool at a time.
 * @param threads integer in [1, MAX_THREADS]
 */
export function useThreads(threads: number): ThreadPool {
  return new ThreadPool(threads);
}

/**
 * Runs `fn` with a pool of `threads` threads, waiting for the workers first and closing the pool after
 * (also on error). A failed chunk's error carries the worker's own message.
 */
export async function withThreads<T>(threads: number, fn: (pool: ThreadPool) => Promise<T> | T): Promise<T> {
  const pool = useThreads(threads);
  try {
    await pool.ready;
    return await fn(pool);
  } catch (e) {
    throw await pool.explain(e);
  } finally {
    await pool.close();
  }
}
