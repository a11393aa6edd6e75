/** `npm run bench`: runs every benchmark suite; JSON lines on stdout, progress on stderr. */
import { runFftBench } from './fft.js';
import { log } from './lib.js';

const suites: Array<[string, () => Promise<void> | void]> = [['fft', runFftBench]];

for (const [name, run] of suites) {
  log(`# ${name}`);
  await run();
}
