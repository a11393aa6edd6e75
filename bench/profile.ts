/**
 * Profile suite (`npm run bench -- --suites profile [--cases S4] [--threads 2,1]`): per case and thread count, a
 * fresh process (bench/profile-child.ts) splits the median training step into its phases; JSON lines on stdout,
 * and a table on stderr with each phase's ms at every thread count and its speed-up from the last to the first.
 */
import { emit, here, jsonLines, log, type BenchRecord } from './lib.js';
import { CASES } from './train.js';

export interface ProfileOptions {
  cases: string[];
  /** thread counts, the first is the headline (speed-up = last / first) */
  threads: number[];
  steps: number;
  warmupS: number;
}

const PHASES = ['encoder_forward', 'encoder_backward', 'decoder_forward', 'decoder_backward', 'operator_norm', 'adam', 'renormalise', 'rest', 'step'];

export function runProfileBench(o: ProfileOptions): void {
  const lines: string[] = [];
  for (const name of o.cases) {
    if (!CASES[name]) throw new Error(`bench: unknown case ${name}; expected one of ${Object.keys(CASES).join(', ')}`);
    const recs: BenchRecord[] = o.threads.map((th) => {
      log(`# profile ${name}, ${th} thread(s)`);
      const [rec] = jsonLines(process.execPath, ['--import', 'tsx', here('./profile-child.ts'), '--case', name, '--threads', String(th), '--steps', String(o.steps), '--warmup-s', String(o.warmupS)], `profile ${name} (threads ${th})`);
      emit(rec);
      return rec;
    });
    const ph = recs.map((r) => r.phases as Record<string, number>);
    for (const p of PHASES) {
      const v = ph.map((x) => x[p]);
      if (v.every((t) => t === undefined || t < 0.005)) continue;
      const first = v[0], last = v[v.length - 1];
      const speedup = o.threads.length > 1 && first > 0.02 ? (last / first).toFixed(2) : '';
      lines.push([name.padEnd(4), p.padEnd(17), ...v.map((t) => (t ?? 0).toFixed(2).padStart(8)), speedup.padStart(8)].join(' '));
    }
  }
  log('');
  log(`median ms per step by phase (rest: autodiff glue, loss, dense matmuls, liftings, copies, GC); speed-up = ${o.threads[o.threads.length - 1]} → ${o.threads[0]} threads`);
  log(['case', 'phase'.padEnd(17), ...o.threads.map((t) => `${t} thr`.padStart(8)), 'speed-up'].join(' '));
  for (const l of lines) log(l);
}
