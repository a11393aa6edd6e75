/**
 * Node worker entry of the thread pool (io/threads.ts): loads the library (its index imports every module
 * that registers a tape kind, so a new kernel needs no change here) and answers the pool's messages.
 * Errors go to the host's report port instead of killing the worker or printing a stack.
 */
import { format } from 'node:util';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import '../index.js';
import { handleWorkerMessage } from '../core/parallel.js';
import type { WorkerReport } from './threads.js';

const report = (workerData as { report: MessagePort }).report;
const send = (r: WorkerReport) => report.postMessage(r);
const stats = { tapes: 0, jobs: 0 };

// core/parallel.ts logs a failed chunk with console.error (and flags the job, so the host throws): forward it
console.error = (...args: unknown[]) => send({ type: 'error', text: format(...args) });

/**
 * After a message the worker polls its port for SPIN_MS before it returns to the event loop and sleeps: waking a
 * sleeping thread costs 50–100 µs on a VM's idle vCPU and milliseconds when the host is busy (measured: the
 * worker joined S4's backward job 6 ms late), while the gaps between a step's jobs are a few milliseconds.
 * OpenMP runtimes spin-wait for the same reason.
 */
const SPIN_MS = 20;

type Msg = Parameters<typeof handleWorkerMessage>[0] | { type: 'stats' };

function handle(msg: Msg): void {
  if (msg.type === 'stats') return send({ type: 'stats', ...stats });
  if (msg.type === 'init') stats.tapes++;
  else stats.jobs++;
  try {
    handleWorkerMessage(msg);
  } catch (e) {
    send({ type: 'error', text: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}

const port = parentPort;
port?.on('message', (msg: Msg) => {
  handle(msg);
  // the clock is read every 256 polls (performance.now() allocates; each call fed the worker's young GC)
  let until = performance.now() + SPIN_MS;
  for (let i = 1; (i & 255) !== 0 || performance.now() < until; i++) {
    const next = receiveMessageOnPort(port);
    if (next) {
      handle(next.message as Msg);
      until = performance.now() + SPIN_MS;
    }
  }
});
send({ type: 'ready' });
