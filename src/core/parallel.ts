/**
 * Optional data-parallel execution of the fused kernels over fixed chunks of the batch, on worker threads
 * sharing memory (SharedArrayBuffer). Browser-safe: the host creates the workers (Node worker_threads or
 * Web Workers) and wires their messages to `handleWorkerMessage`; without a pool everything runs on the
 * calling thread. Results never depend on the thread count: the batch is always cut into the same `CHUNKS`
 * chunks and per-chunk partial sums are reduced in chunk order.
 */
import type { DType, FloatArray } from './tensor.js';

/** Chunks per batch (at most one per sample). Fixed, so reductions have one order for any thread count. */
export const CHUNKS = 8;

/** Samples [b0, b1) of chunk c of `chunks` over a batch of B. */
export function chunkRange(c: number, chunks: number, B: number): [number, number] {
  return [Math.floor((c * B) / chunks), Math.floor(((c + 1) * B) / chunks)];
}

/** Allocates the typed arrays of a tape, in a fixed order (workers replay the order to map the same memory). */
export type Alloc = (n: number, dtype: DType) => FloatArray;

/** A kernel state that lives in shared memory and runs one method on one chunk at a time. */
export interface ChunkedTape {
  /** registry kind, see `registerTape` */
  readonly kind: string;
  /** constructor arguments (structured-clonable) */
  readonly spec: unknown;
  /** runs `method` on chunk c with structured-clonable `args` */
  runChunk(method: string, c: number, args: unknown): void;
}

type TapeFactory = (spec: unknown, alloc: Alloc) => ChunkedTape;
const factories = new Map<string, TapeFactory>();

/** Makes a tape kind constructible in workers (called by the kernel modules at load time). */
export function registerTape(kind: string, factory: TapeFactory): void {
  factories.set(kind, factory);
}

/** What the host's workers must offer: Node's `Worker` and the browser's `Worker` both do. */
export interface WorkerLike {
  postMessage(msg: unknown): void;
  terminate(): unknown;
}

/** Thrown when a worker reports an error or does not answer. */
export class ParallelError extends Error {
  override name = 'ParallelError';
}

type Message =
  | { type: 'init'; id: number; kind: string; spec: unknown; buffers: SharedArrayBuffer[]; dtypes: DType[] }
  | { type: 'run'; id: number; method: string; args: unknown; chunks: number; ctl: SharedArrayBuffer };

/** Job control words: next chunk to claim, chunks finished, error flag. */
const NEXT = 0, DONE = 1, FAILED = 2;

/**
 * How long the caller polls for the chunks still in flight before it sleeps: a sleeping thread takes 50–100 µs
 * to wake on a VM's idle vCPU (milliseconds when the host is busy), longer than a typical chunk.
 */
const POLL_MS = 5;

/** Claims chunks of a job until none is left (every lane, the caller included, runs this loop). */
function claimChunks(tape: ChunkedTape, method: string, args: unknown, chunks: number, ctl: Int32Array): void {
  for (;;) {
    const c = Atomics.add(ctl, NEXT, 1);
    if (c >= chunks) return;
    try {
      tape.runChunk(method, c, args);
    } catch (e) {
      Atomics.store(ctl, FAILED, 1);
      console.error(e);
    } finally {
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
}

/** A zeroed typed array of n entries over a new SharedArrayBuffer. */
function sharedArray(n: number, dtype: DType): FloatArray {
  const bytes = dtype === 'float64' ? 8 : 4;
  const sab = new SharedArrayBuffer(Math.max(n, 1) * bytes);
  const a = dtype === 'float64' ? new Float64Array(sab) : new Float32Array(sab);
  return n === 0 ? a.subarray(0, 0) : a;
}

class Pool {
  private readonly known = new WeakMap<ChunkedTape, number>();
  private nextId = 1;

  constructor(readonly workers: WorkerLike[], readonly timeoutMs: number) {}

  /** Shared allocation, recording buffers for the workers' replay. */
  alloc(record: { buffers: SharedArrayBuffer[]; dtypes: DType[] }): Alloc {
    return (n, dtype) => {
      const a = sharedArray(n, dtype);
      record.buffers.push(a.buffer as SharedArrayBuffer);
      record.dtypes.push(dtype);
      return a;
    };
  }

  /**
   * Runs chunks 0…chunks−1: every lane claims the next unclaimed chunk until none is left (so a descheduled
   * worker costs no waiting), then the caller waits for the chunks in flight. Which lane ran a chunk never
   * matters: chunks write disjoint outputs and per-chunk partial sums.
   */
  run(tape: ChunkedTape, shared: { buffers: SharedArrayBuffer[]; dtypes: DType[] }, method: string, args: unknown, chunks: number): void {
    let id = this.known.get(tape);
    if (id === undefined) {
      id = this.nextId++;
      this.known.set(tape, id);
      for (const w of this.workers) w.postMessage({ type: 'init', id, kind: tape.kind, spec: tape.spec, buffers: shared.buffers, dtypes: shared.dtypes } satisfies Message);
    }
    // fresh control words per job: a worker that reads this message late finds it exhausted and does nothing
    const ctl = new Int32Array(new SharedArrayBuffer(4 * 3));
    for (const w of this.workers) w.postMessage({ type: 'run', id, method, args, chunks, ctl: ctl.buffer as SharedArrayBuffer } satisfies Message);
    claimChunks(tape, method, args, chunks, ctl);
    // the clock is read every 1024 polls: performance.now() allocates, and each call in the loop fed the young GC
    const poll = performance.now() + POLL_MS;
    for (let i = 1; Atomics.load(ctl, DONE) < chunks; i++) if ((i & 1023) === 0 && performance.now() > poll) break;
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const n = Atomics.load(ctl, DONE);
      if (n >= chunks) break;
      if (Date.now() > deadline) throw new ParallelError(`parallel: ${chunks - n} chunk(s) of ${tape.kind}.${method} did not finish within ${this.timeoutMs} ms`);
      Atomics.wait(ctl, DONE, n, 100);
    }
    if (Atomics.load(ctl, FAILED) !== 0) throw new ParallelError(`parallel: a chunk of ${tape.kind}.${method} failed (see the error output)`);
  }
}

let pool: Pool | null = null;

/**
 * Uses `workers` (host-created, running `handleWorkerMessage`) next to the calling thread for the fused
 * kernels; an empty list or null goes back to single-threaded. Returns the previous workers (to terminate).
 */
export function setWorkers(workers: WorkerLike[] | null, timeoutMs = 120000): WorkerLike[] {
  const prev = pool?.workers ?? [];
  pool = workers && workers.length ? new Pool(workers, timeoutMs) : null;
  return prev;
}

/** Number of threads the fused kernels use (1 without workers). */
export function threadCount(): number {
  return pool ? pool.workers.length + 1 : 1;
}

/** Memory of a tape: shared when a pool is active (recorded for the workers), plain otherwise. */
export class TapeMemory {
  readonly buffers: SharedArrayBuffer[] = [];
  readonly dtypes: DType[] = [];
  readonly alloc: Alloc;
  private readonly pool = pool;

  constructor() {
    this.alloc = this.pool ? this.pool.alloc(this) : (n, dtype) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  }

  /**
   * A fresh zeroed buffer for one job, outside the tape's replayed memory: shared when the memory is, so it can
   * reach the workers inside `run`'s args (structured cloning shares the memory), plain otherwise. The caller owns
   * it, so a job's result can be handed out (e.g. as a tensor's data) without copying or aliasing the tape.
   */
  transient(n: number, dtype: DType): FloatArray {
    return this.pool ? sharedArray(n, dtype) : dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }

  /** Whether the memory is shared with a pool's workers (else `run` stays on the calling thread). */
  get shared(): boolean {
    return this.pool !== null;
  }

  /** Whether `run`'s args can carry `a` to this memory's lanes without a copy: always without a pool, else if `a` is shared. */
  reaches(a: FloatArray): boolean {
    return !this.pool || a.buffer instanceof SharedArrayBuffer;
  }

  /** Runs `method` on chunks 0…chunks−1, spread over the pool the memory was made for (if it is still the active one). */
  run(tape: ChunkedTape, method: string, args: unknown, chunks: number): void {
    if (this.pool && this.pool === pool) this.pool.run(tape, this, method, args, chunks);
    else for (let c = 0; c < chunks; c++) tape.runChunk(method, c, args);
  }
}

const tapes = new Map<number, ChunkedTape>();

/** The worker side: call with every message the worker receives from the pool. */
export function handleWorkerMessage(msg: Message): void {
  if (msg.type === 'init') {
    const make = factories.get(msg.kind);
    if (!make) throw new ParallelError(`parallel worker: unknown tape kind "${msg.kind}" (kernel module not loaded)`);
    let i = 0;
    const alloc: Alloc = (n, dtype) => {
      const sab = msg.buffers[i];
      if (msg.dtypes[i++] !== dtype) throw new ParallelError(`parallel worker: buffer ${i - 1} of ${msg.kind} has the wrong dtype`);
      const a = dtype === 'float64' ? new Float64Array(sab) : new Float32Array(sab);
      return n === 0 ? a.subarray(0, 0) : a;
    };
    tapes.set(msg.id, make(msg.spec, alloc));
    return;
  }
  const tape = tapes.get(msg.id);
  const ctl = new Int32Array(msg.ctl);
  if (!tape) {
    Atomics.store(ctl, FAILED, 1);
    throw new ParallelError(`parallel worker: unknown tape ${msg.id}`);
  }
  claimChunks(tape, msg.method, msg.args, msg.chunks, ctl);
}
