/**
 * The blkaudit command line: a thin commander layer over the library.
 * Each command lives in its own file; this file maps outcomes to exit codes:
 * 0 clean, 1 findings at or above --fail-on, 2 usage or unreadable input.
 */
import { Command, CommanderError } from 'commander';
import { InputError, VERSION } from '../index.js';
import { EXIT, UsageError } from './options.js';
import { registerEvents } from './events.js';
import { registerFormats } from './formats.js';
import { registerStats } from './stats.js';
import { registerCheck } from './check.js';
import { registerFollow } from './follow.js';
import { registerReport } from './report.js';
import { registerStack } from './stack.js';
import { safeText } from './output.js';

export function buildProgram(run: (fn: () => Promise<number>) => Promise<void>): Command {
  const program = new Command();
  program
    .name('blkaudit')
    .description('Audit Linux block-layer and QEMU traces for broken flush, FUA and ordering promises')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerEvents(program, run);
  registerFormats(program, run);
  registerStats(program, run);
  registerCheck(program, run);
  registerFollow(program, run);
  registerReport(program, run);
  registerStack(program, run);
  program.addHelpText('after', `
Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or unreadable input.

Environment:
  BLKAUDIT_PARSE_WORKER=0|1  parse in worker threads: 0 never, 1 for any large input (stdin, gzip too)
                             (default: a file or per-CPU set of 32 MB or more, when two or more CPUs
                             are available); results are identical
  BLKAUDIT_PARSE_WORKERS=N   worker threads a large blkparse text file is parsed by (default: one per
                             CPU, at most 4)
  NO_COLOR                   no colour in terminal output
  BLKAUDIT_DEBUG             print the stack of an internal error

Examples:
  blkparse -i sda | blkaudit check -
  blkaudit stats fixtures/stats/raw-odirect-dsync/loop1.blkparse.txt
  blkaudit check guest=vm/guest/vda.blkparse.txt qemu=vm/qemu-trace.log host=vm/host/loop1.blkparse.txt`);
  return program;
}

/** Runs the CLI; resolves to the exit code (never calls process.exit itself). */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.clean;
  const run = async (fn: () => Promise<number>) => {
    code = await fn();
  };
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const program = buildProgram(run);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    return handleError(err);
  }
  return code;
}

function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version are "errors" to commander but success to the user
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.clean;
    return EXIT.usage;
  }
  if (err instanceof InputError || err instanceof UsageError) {
    process.stderr.write(`blkaudit: ${safeText(err.message)}\n`);
    return EXIT.usage;
  }
  if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') return EXIT.clean;
  const e = err as Error;
  process.stderr.write(
    `blkaudit: internal error (blkaudit ${VERSION}): ${safeText(e?.message ?? String(err))}\n` +
      `This is a bug in blkaudit, not in your trace; please report it with the command line used.\n`,
  );
  if (process.env.BLKAUDIT_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return EXIT.usage;
}
