/** `npm run bench`: runs every benchmark suite; JSON lines on stdout. Suites register below. */
import { log } from './lib.js';

const suites: Array<[string, () => Promise<void> | void]> = [];

for (const [name, run] of suites) {
  log(`# ${name}`);
  await run();
}
