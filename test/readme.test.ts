/**
 * The README's library example, run exactly as printed: the ```ts block is written next to the
 * package and executed with the `saeno-source` export condition, so `from 'saeno'` resolves to
 * this checkout's sources (no build needed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The k-th ```ts block under "## Library", run as a script next to the package; returns its stdout. */
function runLibraryBlock(k: number): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Library'), readme.indexOf('\n## ', readme.indexOf('## Library') + 1));
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)];
  assert.ok(blocks.length > k, `README has ${k + 1} \`\`\`ts blocks under "## Library"`);
  const file = path.join(root, `.readme-example-${process.pid}-${k}.tmp.ts`);
  writeFileSync(file, blocks[k][1]);
  try {
    return execFileSync(process.execPath, ['--conditions=saeno-source', '--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
  } finally {
    rmSync(file, { force: true });
  }
}

test('the README library example runs as printed and prints finite metrics', (t) => {
  const out = runLibraryBlock(0);
  t.diagnostic(out.trim());
  const m = /dictionary error ([\d.]+); relative error ([\d.]+) at N=128, ([\d.]+) at N=512; 1-sparse accuracy at N=512 ([\d.]+)/.exec(out);
  assert.ok(m, `unexpected output: ${out}`);
  const [dict, rel128, rel512, acc] = m.slice(1).map(Number);
  // from random weights in 600 steps: a clearly learned dictionary (random atoms score ≈ 0.9), the same
  // reconstruction error at 4× the resolution, and the kept 1-sparse read-out still right
  assert.ok(dict < 0.5, `dictionary error ${dict}`);
  assert.ok(rel128 < 0.4 && Math.abs(rel512 - rel128) < 0.02, `relative errors ${rel128} / ${rel512}`);
  assert.ok(acc >= 0.8, `1-sparse accuracy at 4× ${acc}`);
});

test('the README threads example (saeno/threads) runs as printed and the loss falls', (t) => {
  const out = runLibraryBlock(1);
  t.diagnostic(out.trim());
  const m = /loss ([\d.]+) -> ([\d.]+) in (\d+) steps on 2 threads/.exec(out);
  assert.ok(m, `unexpected output: ${out}`);
  const [first, last, steps] = m.slice(1).map(Number);
  // 200 Adam steps from random weights reduce the reconstruction loss clearly (the first example reaches a learned dictionary in 600)
  assert.equal(steps, 200);
  assert.ok(Number.isFinite(last) && last < 0.7 * first, `loss ${first} -> ${last}`);
});
