/** The `saeno` command line: one file per command, each parsing → calling the library → printing. */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { register as registerEval } from './eval.js';
import { register as registerInfer } from './infer.js';
import { register as registerTrain } from './train.js';
import { registerGenerate } from './generate.js';
import { registerVerify } from './verify.js';
import { registerReproduce } from './reproduce.js';

const require = createRequire(import.meta.url);
/** package.json is two levels up from src/cli (tsx) and three from dist/src/cli (built). */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'saeno' && pkg.version) return pkg.version;
    } catch {
      // try the next layout
    }
  }
  return '0.0.0';
}
const version = packageVersion();

/** Builds the program; commands register themselves from their own modules. */
export function buildProgram(): Command {
  const program = new Command('saeno')
    .description('Sparse autoencoders for model recovery in Euclidean, lifted and function spaces')
    .version(version, '-v, --version')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // commands: each `register*` adds one subcommand
  registerGenerate(program);
  registerTrain(program);
  registerInfer(program);
  registerEval(program);
  registerVerify(program);
  registerReproduce(program);
  return program;
}

/** Every error that reaches here is a user-facing failure: one line, non-zero exit. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are successful exits; commander already printed the message
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`saeno: error: ${msg.split('\n')[0]}\n`);
    if (process.env.SAENO_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
