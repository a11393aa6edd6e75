/**
 * One training-step case in a fresh process (so its peak RSS is its own): `tsx bench/step-child.ts --case S5
 * [--steps 20] [--warmup 5] [--warmup-s 2] [--threads 1]` prints one JSON line {case, impl, ms, ms_min, cpu_ms, rss_mb, params}.
 */
import { useThreads } from '../src/io/threads.js';
import { arg } from './lib.js';
import { CASES, stepFlops, timeSteps } from './train.js';

const name = arg('case') ?? 'S1';
const c = CASES[name];
if (!c) throw new Error(`bench/step-child: unknown case ${name}; expected one of ${Object.keys(CASES).join(', ')}`);
const steps = Number(arg('steps') ?? '20');
const warmup = Number(arg('warmup') ?? '5');
const warmupS = Number(arg('warmup-s') ?? '2');
const threads = Number(arg('threads') ?? '1');
// the workers load the library before timing starts, so their start-up is not in the warm-up or the steps
const pool = useThreads(threads);
await pool.ready;
const t = timeSteps(c, steps, warmup, warmupS);
const rssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ case: name, impl: 'saeno', ms: t.ms, ms_min: t.ms_min, cpu_ms: t.cpu_ms, rss_mb: rssMb, loss: t.loss, threads, params: { ...c, flops: stepFlops(c), steps, warmup, warmup_s: warmupS, dtype: 'float32' } })}\n`);
await pool.close();
