/**
 * `npm run bench [-- --peer pytorch] [--suites fft,kernels,steps] [--cases S1,S3] [--steps 20] [--warmup 5] [--warmup-s 2] [--repeat 3] [--threads 2,1] [--peer-threads 2,1] [--peer-blas openblas,reference]`:
 * runs the benchmark suites (the default three; `--suites profile` splits each step into its phases, bench/profile.ts);
 * JSON lines on stdout, progress and tables on stderr.
 */
import { runFftBench } from './fft.js';
import { runKernelBench } from './kernels.js';
import { arg, log } from './lib.js';
import { runProfileBench } from './profile.js';
import { runStepBench } from './steps.js';

const list = (v: string | null, def: string): string[] => (v ?? def).split(',').filter(Boolean);
const suites = list(arg('suites'), 'fft,kernels,steps');
const runners: Record<string, () => Promise<void> | void> = {
  fft: runFftBench,
  kernels: runKernelBench,
  steps: () =>
    runStepBench({
      peer: arg('peer'),
      cases: list(arg('cases'), 'S1,S2,S3,S4,S5'),
      steps: Number(arg('steps') ?? 20),
      warmup: Number(arg('warmup') ?? 5),
      warmupS: Number(arg('warmup-s') ?? 2),
      repeat: Number(arg('repeat') ?? 3),
      threads: list(arg('threads'), '2,1').map(Number),
      peerThreads: list(arg('peer-threads'), '2,1').map(Number),
      peerBlas: list(arg('peer-blas'), 'openblas,reference'),
    }),
  profile: () =>
    runProfileBench({
      cases: list(arg('cases'), 'S1,S2,S3,S4,S5'),
      threads: list(arg('threads'), '2,1').map(Number),
      steps: Number(arg('steps') ?? 40),
      warmupS: Number(arg('warmup-s') ?? 2),
    }),
};

for (const name of suites) {
  const run = runners[name];
  if (!run) throw new Error(`bench: unknown suite "${name}"; expected ${Object.keys(runners).join(', ')}`);
  log(`# ${name}`);
  await run();
}
