/** `saeno reproduce [all|fig2a|…] [--quick] [--seeds N] [--out report/]`: the paper's figures, multi-seed, with a report page. */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { FIGURES, reproduce, type FigureName, type ProgressBar } from '../experiments/reproduce.js';
import { UsageError } from './errors.js';
import { commandAction } from './runfolder.js';
import { parseThreads, runWithThreads, threadsOption } from './threads.js';

/** A bar per figure on a TTY; otherwise a plain line at every 10 % of the work. */
function progressBar(figure: FigureName, total: number): ProgressBar {
  const started = performance.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${figure.padEnd(5)} |{bar}| {percentage}% | {value}/{total} steps | {duration_formatted} | eta {eta_formatted}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let shown = -1;
  const line = (done: number) => process.stderr.write(`reproduce: ${figure} ${done}/${total} steps (${Math.floor((100 * done) / Math.max(1, total))}%, ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return {
    update(done) {
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile > shown) {
        shown = decile;
        line(done);
      }
    },
    stop() {
      if (shown < 10) line(total);
    },
  };
}

/** Figure names from the arguments: none or `all` = every figure, in the paper's order. */
export function parseFigures(args: readonly string[]): FigureName[] {
  if (args.length === 0 || args.includes('all')) return [...FIGURES];
  const bad = args.find((a) => !(FIGURES as readonly string[]).includes(a));
  if (bad !== undefined) throw new UsageError(`reproduce: unknown figure '${bad}' (expected all or ${FIGURES.join(', ')})`);
  return FIGURES.filter((f) => args.includes(f));
}

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("reproduce the paper's figures (multi-seed) into a report folder with data, figures, summaries and index.html")
    .argument('[figures...]', `all (default) or any of ${FIGURES.join(', ')}`)
    .option('--quick', 'tiny sizes, fewer seeds and steps (all figures in about 2 minutes)')
    .option('--seeds <n>', 'seeds per figure (default 5; --quick: 2)')
    .option('--out <dir>', 'report folder', 'report')
    .addOption(threadsOption())
    .action(commandAction('reproduce', async (args: string[], opts: { quick?: boolean; seeds?: string; out: string; threads?: string }) => {
      const figures = parseFigures(args);
      const threads = parseThreads(opts.threads);
      let seeds: number | undefined;
      if (opts.seeds !== undefined) {
        seeds = Number(opts.seeds);
        if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`reproduce: --seeds must be a positive integer, got '${opts.seeds}'`);
      }
      const command = ['saeno reproduce', ...args, ...(opts.quick ? ['--quick'] : []), ...(seeds ? ['--seeds', String(seeds)] : []), '--out', opts.out].join(' ');
      process.stderr.write(`reproduce: ${figures.join(', ')} on ${threads} thread${threads === 1 ? '' : 's'} → ${opts.out}\n`);
      const result = await runWithThreads(threads, () => reproduce({ figures, mode: opts.quick ? 'quick' : 'full', seeds, out: opts.out, progress: progressBar, command }));
      for (const f of result.figures) {
        for (const v of f.verdicts) process.stdout.write(`${f.name.padEnd(5)}  ${(v.held ? 'held' : 'NOT HELD').padEnd(8)}  ${v.number.padEnd(28)}  ${v.claim}\n`);
      }
      process.stdout.write(`reproduce: ${result.figures.length} figure(s) in ${result.seconds.toFixed(1)} s → ${result.indexPath}\n`);
      if (result.failed.length > 0) {
        throw new Error(`reproduce: ${result.failed.map((f) => `${f.name} failed: ${f.error}`).join('; ')}`);
      }
    }));
}
