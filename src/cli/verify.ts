/** `saeno verify [--json]`: the paper's propositions and operator identities, checked in float64. */
import type { Command } from 'commander';
import { runVerify, type CheckResult } from '../experiments/verify.js';

function line(r: CheckResult): string {
  const res = Number.isFinite(r.residual) ? r.residual.toExponential(2) : String(r.residual);
  return `${r.pass ? 'PASS' : 'FAIL'}  ${r.name.padEnd(34)} residual ${res.padStart(9)} ≤ ${r.tolerance.toExponential(0)}  ${r.statement}`;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description("check the paper's propositions and the operator identities numerically (float64)")
    .option('--json', 'print one JSON object instead of lines')
    .action((opts: { json?: boolean }) => {
      const results = runVerify(opts.json ? undefined : (r) => process.stdout.write(`${line(r)}\n`));
      const failed = results.filter((r) => !r.pass).length;
      if (opts.json) process.stdout.write(`${JSON.stringify({ passed: results.length - failed, failed, checks: results })}\n`);
      else process.stdout.write(`verify: ${results.length - failed} checks passed, ${failed} failed\n`);
      if (failed > 0) throw new Error(`verify: ${failed} of ${results.length} checks failed`);
    });
}
