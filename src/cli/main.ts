/**
 * The blkaudit command line: a thin commander layer over the library.
 * Each command lives in its own file; this file maps outcomes to exit codes:
 * 0 clean, 1 findings at or above --fail-on, 2 usage or unreadable input.
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../model/errors.js';
import { VERSION } from '../version.js';
import { EXIT, UsageError } from './exit.js';
import { safeText } from './output.js';

// bin/blkaudit.js: V8 flags set again whenever a worker thread starts (io/heap-flags.ts)
export { keepHeapFlags } from '../io/heap-flags.js';

type Run = (fn: () => Promise<number>) => Promise<void>;
type Register = (program: Command, run: Run) => void;

/**
 * The commands, each loaded only when it runs: a command module pulls in its
 * readers and stages (the whole analysis for `report`), and loading every one
 * of them cost `blkaudit --version` about 100 ms before anything ran. Order
 * here is the order of `blkaudit --help`.
 */
const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<Register> }> = [
  { name: 'events', load: async () => (await import('./events.js')).registerEvents },
  { name: 'formats', load: async () => (await import('./formats.js')).registerFormats },
  { name: 'stats', load: async () => (await import('./stats.js')).registerStats },
  { name: 'check', load: async () => (await import('./check.js')).registerCheck },
  { name: 'follow', load: async () => (await import('./follow.js')).registerFollow },
  { name: 'report', load: async () => (await import('./report.js')).registerReport },
  { name: 'stack', load: async () => (await import('./stack.js')).registerStack },
];

/**
 * The command modules argv needs: none for --version, the named command's
 * alone when argv names one, every one otherwise (help, a mistyped name —
 * commander then lists them or suggests one). Global options take no value,
 * so the first word not starting with "-" is the command.
 */
function commandsFor(argv: string[]): typeof COMMANDS {
  const words = argv.slice(2);
  const first = words.find((w) => !w.startsWith('-'));
  if (first === undefined && words.some((w) => w === '-V' || w === '--version')) return [];
  const named = COMMANDS.find((c) => c.name === first);
  return named ? [named] : COMMANDS;
}

export async function buildProgram(run: Run, argv: string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('blkaudit')
    .description('Audit Linux block-layer and QEMU traces for broken flush, FUA and ordering promises')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const registers = await Promise.all(commandsFor(argv).map((c) => c.load()));
  for (const register of registers) register(program, run);
  program.addHelpText('after', `
Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or unreadable input.

Environment:
  BLKAUDIT_PARSE_WORKER=0|1  parse in worker threads: 0 never, 1 for any large input (stdin, gzip too)
                             (default: a file or per-CPU set of 32 MB or more, when two or more CPUs
                             are available); results are identical
  BLKAUDIT_PARSE_WORKERS=N   worker threads a large blkparse text file is parsed by (default: one per
                             CPU but one, at most 4)
  BLKAUDIT_STREAM_ROWS=N     rows a level of a stack holds before writing them to a temporary file
                             when quiet (default 8192; 0 keeps every row in memory); a stack of more
                             than 64 such pieces is correlated in segments (README: Streaming correlation)
  BLKAUDIT_SEGMENTS=1        print where a streamed correlation cut the stack (CPU time, memory), on stderr
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
  try {
    const program = await buildProgram(run, argv);
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
