/**
 * Options shared by every command that reads traces, declared once as data so
 * `--help`, the README and the code cannot drift (npm-check-updates style).
 */
import { Command, Option } from 'commander';
import type { AnalyzeOptions } from '../index.js';

export interface InputOptionValues {
  format?: string;
  strict?: boolean;
  maxLineLength?: number;
  blkparseFormat?: string;
  csvColumns?: string;
  maxInflight?: number;
}

export interface OptionSpec {
  flags: string;
  description: string;
  parse?: (value: string) => unknown;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

export const INPUT_OPTIONS: OptionSpec[] = [
  { flags: '--format <name>', description: 'read every input as this format instead of detecting it (see "blkaudit formats")' },
  { flags: '--strict', description: 'exit 2 when any line or record cannot be used, instead of counting and going on' },
  { flags: '--max-line-length <bytes>', description: 'longest text line accepted; longer lines are counted and skipped (default 1048576)', parse: positiveInt },
  { flags: '--blkparse-format <spec>', description: 'the blkparse -f format the input was written with (e.g. "%D %2c %8s %5T.%9t %5p %2a %3d %S + %n [%C]\\n")' },
  { flags: '--max-inflight <n>', description: 'requests tracked in flight per device before the oldest are dropped and counted (default: 1048576 for stats, 8192 for check)', parse: positiveInt },
  { flags: '--csv-columns <map>', description: 'CSV column mapping "time=Timestamp,offset=Offset,…" or a preset name (msr)' },
];

export function addInputOptions(cmd: Command): Command {
  for (const o of INPUT_OPTIONS) {
    const opt = new Option(o.flags, o.description);
    if (o.parse) opt.argParser((v: string) => {
      try {
        return o.parse!(v);
      } catch (err) {
        throw new UsageError(`${o.flags.split(' ')[0]}: ${(err as Error).message}`);
      }
    });
    cmd.addOption(opt);
  }
  return cmd;
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

/** A command-line mistake: exit 2 with the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { clean: 0, findings: 1, usage: 2 } as const;
