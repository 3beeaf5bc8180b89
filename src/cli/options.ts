/**
 * Options shared by commands, declared once as data (npm-check-updates'
 * cli-options.ts style): `--help` is built from these records, the README's
 * option table is checked against them by test/invocations.test.ts, and the
 * defaults printed are the constants the code uses.
 */
import { Command, Option } from 'commander';
import type { AnalyzeOptions } from '../index.js';
import { DEFAULT_MAX_LINE } from '../formats/lines.js';
import { MAX_IN_FLIGHT } from '../track/lifetime.js';
import { UsageError } from './exit.js';

export interface InputOptionValues {
  format?: string;
  strict?: boolean;
  maxLineLength?: number;
  blkparseFormat?: string;
  csvColumns?: string;
  maxInflight?: number;
  /** false with --no-color (commander's negated option). */
  color?: boolean;
}

export interface OptionSpec {
  flags: string;
  description: string;
  /** Value parser; a thrown Error becomes a usage error naming the option. */
  parse?: (value: string, previous: unknown) => unknown;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** Repeatable options collect their values in order. */
export const collect = (v: string, prev: unknown): string[] => [...((prev as string[] | undefined) ?? []), v];

// 65536 → "65,536". Not toLocaleString: it loads ICU at startup, 7.7 MB of RSS for every command.
const num = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** How every command that reads traces reads them (README: "Every input option … applies to every command"). */
export const INPUT_OPTIONS: readonly OptionSpec[] = [
  { flags: '--format <name>', description: 'read every input as this format instead of detecting it (see "blkaudit formats")' },
  { flags: '--strict', description: 'exit 2 when any line or record cannot be used, instead of counting and going on' },
  { flags: '--max-line-length <bytes>', description: `longest text line accepted; longer lines are counted and skipped (default ${DEFAULT_MAX_LINE}, 1 MiB)`, parse: positiveInt },
  { flags: '--blkparse-format <spec>', description: 'the blkparse -f format the input was written with (e.g. "%D %2c %8s %5T.%9t %5p %2a %3d %S + %n [%C]\\n")' },
  {
    flags: '--max-inflight <n>',
    description: `bios and requests tracked in flight per device before the oldest half is dropped and counted (default: ${num(MAX_IN_FLIGHT)}, one cap for the request tracker that check, stats and report share)`,
    parse: positiveInt,
  },
  { flags: '--csv-columns <map>', description: 'CSV column mapping "time=Timestamp,offset=Offset,…" or a preset name (msr)' },
];

/** Every command with human-readable output accepts it, so scripts can pass it uniformly. */
export const NO_COLOR_OPTION: OptionSpec = {
  flags: '--no-color',
  description: 'no ANSI colours (colour is used only on a terminal and never when NO_COLOR is set)',
};

/** Adds declared options to a command; parse errors become usage errors (exit 2). */
export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const o of specs) {
    const opt = new Option(o.flags, o.description);
    const parse = o.parse;
    if (parse) opt.argParser((v: string, prev: unknown) => {
      try {
        return parse(v, prev);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`${o.flags.split(' ')[0]}: ${(err as Error).message}`);
      }
    });
    cmd.addOption(opt);
  }
  return cmd;
}

export function addInputOptions(cmd: Command): Command {
  return addOptions(cmd, INPUT_OPTIONS);
}

export function analyzeOptionsFrom(v: InputOptionValues): AnalyzeOptions {
  const o: AnalyzeOptions = {};
  if (v.format) o.format = v.format;
  if (v.strict) o.strict = true;
  if (v.maxLineLength) o.maxLineLength = v.maxLineLength;
  if (v.blkparseFormat) o.blkparseFormat = v.blkparseFormat;
  if (v.csvColumns) o.csvColumns = v.csvColumns;
  if (v.maxInflight) o.maxInflight = v.maxInflight;
  return o;
}

export { EXIT, UsageError } from './exit.js';
