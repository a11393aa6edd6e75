/**
 * Training-step suite S1–S5 (issues 5 and 7): each case runs in a fresh process (bench/step-child.ts) so its
 * peak RSS is its own; with `--peer pytorch` the PyTorch peer (bench/peer) times the same case right after it,
 * in the same run, and a table of ratios, GFLOP/s and share of peak goes to stderr.
 */
import { spawnSync } from 'node:child_process';
import { emit, here, jsonLines, log, root, type BenchRecord } from './lib.js';
import { nominalPeak, scalarPeak } from './peak.js';
import { CASES } from './train.js';

export interface StepBenchOptions {
  /** peer implementation to time in the same run ('pytorch'), or null */
  peer: string | null;
  /** case names (default S1–S5) */
  cases: string[];
  /** timed steps per case (median reported); the warm-up before them: at least `warmup` steps and `warmupS` seconds */
  steps: number;
  warmup: number;
  warmupS: number;
  /**
   * fresh processes per (implementation, threads), interleaved case by case; a record reports the median of
   * their medians (on a VM the speed of a whole process can move by 20 % with the host's load)
   */
  repeat: number;
  /** thread counts to time saeno with (the first is the headline; 1 and 2 give the speed-up) */
  threads: number[];
  /** thread counts to time the peer with (the first is the headline, as in issue 7: 2) */
  peerThreads: number[];
  /**
   * BLAS libraries the peer links (bench/peer/README.md): the first is the headline peer ('openblas'); each
   * further one ('reference': what `apt install python3-torch` links by default) is timed at the headline
   * thread count and gets its own ratio column.
   */
  peerBlas: string[];
}


function saeno(name: string, o: StepBenchOptions, threads: number): BenchRecord {
  const [rec] = jsonLines(process.execPath, ['--import', 'tsx', here('./step-child.ts'), '--case', name, '--steps', String(o.steps), '--warmup', String(o.warmup), '--warmup-s', String(o.warmupS), '--threads', String(threads)], `saeno ${name} (threads ${threads})`);
  return rec;
}

function peer(name: string, o: StepBenchOptions, threads: number, blas: string): BenchRecord {
  const [rec] = jsonLines('/usr/bin/python3', [here('./peer/torch_peer.py'), '--case', name, '--steps', String(o.steps), '--warmup', String(o.warmup), '--warmup-s', String(o.warmupS), '--threads', String(threads), '--blas', blas], `peer ${name} (threads ${threads}, ${blas} BLAS)`);
  return rec;
}

function ensurePeer(): void {
  const r = spawnSync('sh', [here('./peer/ensure-peer.sh')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('bench: bench/peer/ensure-peer.sh failed (see its message above)');
}

/** One record for `runs` of the same measurement: the median run's `ms`, with every run's ms and the extremes. */
function combine(runs: BenchRecord[]): BenchRecord {
  const byMs = [...runs].sort((a, b) => (a.ms as number) - (b.ms as number));
  const mid = byMs[(byMs.length - 1) >> 1];
  return {
    ...mid,
    ms_runs: runs.map((r) => r.ms),
    ms_min: Math.min(...runs.map((r) => r.ms_min as number)),
    ...(mid.rss_mb === undefined ? {} : { rss_mb: Math.max(...runs.map((r) => r.rss_mb as number)) }),
  };
}

const fmt = (v: number | undefined, d = 1): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** Runs the cases; emits one JSON line per (case, impl, threads) and logs the summary table. */
export function runStepBench(o: StepBenchOptions): void {
  if (o.peer && o.peer !== 'pytorch') throw new Error(`bench: unknown peer "${o.peer}" (only "pytorch")`);
  for (const b of o.peerBlas) if (!['openblas', 'reference', 'system'].includes(b)) throw new Error(`bench: --peer-blas "${b}" is not one of openblas, reference, system`);
  if (o.peerBlas.length === 0) throw new Error('bench: --peer-blas needs at least one BLAS');
  if (o.peer) ensurePeer();
  const scalar = scalarPeak();
  const nominal = nominalPeak();
  log(`peak: measured JS scalar multiply-add ${scalar.toFixed(2)} GFLOP/s per core (${(scalar * nominal.cores).toFixed(1)} on ${nominal.cores} cores); nominal vector peak ${nominal.gflops.toFixed(0)} GFLOP/s (${nominal.cores} cores × ${nominal.mhz.toFixed(0)} MHz × 64 FLOP/cycle, AVX-512 FMA assumed)`);
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new Error(`bench: --repeat must be a positive integer, got ${o.repeat}`);
  const rows: string[] = [];
  for (const name of o.cases) {
    if (!CASES[name]) throw new Error(`bench: unknown case ${name}; expected one of ${Object.keys(CASES).join(', ')}`);
    // every measurement of the case once per round, so slow and fast periods of the machine hit all of them
    const runs = new Map<string, BenchRecord[]>();
    const measure = (id: string, what: string, f: () => BenchRecord, r: number): void => {
      log(`# ${name} ${what} (run ${r + 1} of ${o.repeat})`);
      runs.set(id, [...(runs.get(id) ?? []), f()]);
    };
    for (let r = 0; r < o.repeat; r++) {
      for (const th of o.threads) measure(`saeno:${th}`, `saeno, ${th} thread(s)`, () => saeno(name, o, th), r);
      if (!o.peer) continue;
      for (const th of o.peerThreads) measure(`peer:${th}:${o.peerBlas[0]}`, `${o.peer}, ${th} thread(s), ${o.peerBlas[0]} BLAS`, () => peer(name, o, th, o.peerBlas[0]), r);
      for (const blas of o.peerBlas.slice(1)) measure(`peer:${o.peerThreads[0]}:${blas}`, `${o.peer}, ${o.peerThreads[0]} thread(s), ${blas} BLAS`, () => peer(name, o, o.peerThreads[0], blas), r);
    }
    const result = (id: string): BenchRecord => combine(runs.get(id) as BenchRecord[]);
    const byThreads = new Map<number, BenchRecord>();
    for (const th of o.threads) {
      const rec = result(`saeno:${th}`);
      const flops = (rec.params as { flops: number }).flops;
      const gflops = flops / rec.ms / 1e6;
      Object.assign(rec, { threads: th, gflops, share_scalar_peak: gflops / (scalar * th), share_nominal_peak: gflops / nominal.gflops });
      emit(rec);
      byThreads.set(th, rec);
    }
    const head = byThreads.get(o.threads[0]) as BenchRecord;
    const one = byThreads.get(1);
    const two = byThreads.get(2);
    const peerMs = new Map<number, number>();
    const altMs: (number | undefined)[] = [];
    if (o.peer) {
      for (const th of o.peerThreads) {
        const rec = result(`peer:${th}:${o.peerBlas[0]}`);
        emit(rec);
        peerMs.set(th, rec.ms as number);
      }
      for (const blas of o.peerBlas.slice(1)) {
        const rec = result(`peer:${o.peerThreads[0]}:${blas}`);
        emit(rec);
        altMs.push(rec.ms as number);
      }
    }
    const gflops = head.gflops as number;
    const p0 = peerMs.get(o.peerThreads[0]);
    const p1 = peerMs.get(1);
    rows.push([
      name.padEnd(4),
      fmt(head.ms).padStart(9),
      fmt(p0).padStart(9),
      fmt(p0 === undefined ? undefined : p0 / head.ms, 2).padStart(7),
      ...o.peerBlas.slice(1).map((_, i) => `${fmt(altMs[i]).padStart(9)} ${fmt(altMs[i] === undefined ? undefined : (altMs[i] as number) / head.ms, 2).padStart(7)}`),
      fmt(one?.ms).padStart(9),
      fmt(p1).padStart(9),
      fmt(p1 === undefined || !one ? undefined : p1 / one.ms, 2).padStart(7),
      fmt(gflops, 2).padStart(8),
      `${fmt((100 * gflops) / (scalar * (head.threads as number)), 0)}%`.padStart(8),
      `${fmt((100 * gflops) / nominal.gflops, 1)}%`.padStart(8),
      fmt(one && two ? one.ms / two.ms : undefined, 2).padStart(8),
      fmt(head.rss_mb as number, 0).padStart(7),
    ].join(' '));
  }
  log('');
  log(`ratio = peer ms / saeno ms (> 1: saeno faster); headline saeno at ${o.threads[0]} thread(s), peer (${o.peerBlas[0]} BLAS) at ${o.peerThreads[0]}; GFLOP/s and % of peak for the headline`);
  const alt = o.peerBlas.slice(1).map((b) => `${`${b.slice(0, 5)} ms`.padStart(9)} ${'ratio'.padStart(7)}`);
  log(['case saeno ms  peer ms  ratio', ...alt, ' saeno@1   peer@1 ratio@1  GFLOP/s  %scalar %nominal  1→2core  RSS MB'].join(' '));
  for (const r of rows) log(r);
}
