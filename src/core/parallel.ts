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
  | { type: 'run'; id: number; method: string; args: unknown; chunks: number[]; done: SharedArrayBuffer; slot: number };

class Pool {
  private readonly done = new Int32Array(new SharedArrayBuffer(4 * 2));
  private readonly known = new WeakMap<ChunkedTape, number>();
  private nextId = 1;

  constructor(readonly workers: WorkerLike[], readonly timeoutMs: number) {}

  /** Shared allocation, recording buffers for the workers' replay. */
  alloc(record: { buffers: SharedArrayBuffer[]; dtypes: DType[] }): Alloc {
    return (n, dtype) => {
      const bytes = dtype === 'float64' ? 8 : 4;
      const sab = new SharedArrayBuffer(Math.max(n, 1) * bytes);
      record.buffers.push(sab);
      record.dtypes.push(dtype);
      const a = dtype === 'float64' ? new Float64Array(sab) : new Float32Array(sab);
      return n === 0 ? a.subarray(0, 0) : a;
    };
  }

  run(tape: ChunkedTape, shared: { buffers: SharedArrayBuffer[]; dtypes: DType[] }, method: string, args: unknown, chunks: number): void {
    const lanes = this.workers.length + 1;
    let id = this.known.get(tape);
    if (id === undefined) {
      id = this.nextId++;
      this.known.set(tape, id);
      for (const w of this.workers) w.postMessage({ type: 'init', id, kind: tape.kind, spec: tape.spec, buffers: shared.buffers, dtypes: shared.dtypes } satisfies Message);
    }
    Atomics.store(this.done, 0, 0);
    const mine: number[] = [];
    for (let lane = 0; lane < lanes; lane++) {
      const cs: number[] = [];
      for (let c = Math.floor((lane * chunks) / lanes); c < Math.floor(((lane + 1) * chunks) / lanes); c++) cs.push(c);
      if (lane === 0) mine.push(...cs);
      else this.workers[lane - 1].postMessage({ type: 'run', id, method, args, chunks: cs, done: this.done.buffer as SharedArrayBuffer, slot: lane } satisfies Message);
    }
    for (const c of mine) tape.runChunk(method, c, args);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const n = Atomics.load(this.done, 0);
      if (n >= this.workers.length) break;
      if (Date.now() > deadline) throw new ParallelError(`parallel: ${this.workers.length - n} worker(s) did not finish ${tape.kind}.${method} within ${this.timeoutMs} ms`);
      Atomics.wait(this.done, 0, n, 100);
    }
    if (Atomics.load(this.done, 1) !== 0) {
      Atomics.store(this.done, 1, 0);
      throw new ParallelError(`parallel: a worker failed in ${tape.kind}.${method} (see its error output)`);
    }
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
  const done = new Int32Array(msg.done);
  try {
    const tape = tapes.get(msg.id);
    if (!tape) throw new ParallelError(`parallel worker: unknown tape ${msg.id}`);
    for (const c of msg.chunks) tape.runChunk(msg.method, c, msg.args);
  } catch (e) {
    Atomics.store(done, 1, 1);
    console.error(e);
  } finally {
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  }
}
