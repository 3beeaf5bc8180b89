/**
 * The bench rows: what is measured, on which input, with which command.
 * A row is offered only when what it needs exists: `check`/`stats` when
 * `blkaudit --help` lists them, blkparse/btt when installed, btt only with a
 * blkparse dump. The `parse-*` rows run analyze() with no stages
 * (bench/driver.ts): reading alone, the floor under check and stats.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './measure.js';
import { capture } from './measure.js';
import type { BenchTrace } from './trace.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BLKAUDIT = join(ROOT, 'bin', 'blkaudit.js');
const DRIVER = join(ROOT, 'dist', 'bench', 'driver.js');

export type InputKind = 'text' | 'binary' | 'dump';

export interface Row {
  id: string;
  /** What the table shows in its first column. */
  title: string;
  input: InputKind;
  /** How the input arrives: read from the file, or piped through cat. */
  via: 'file' | 'pipe';
  needs: Array<'check' | 'stats' | 'events' | 'blkparse' | 'btt' | 'dump'>;
  command(t: BenchTrace, scratch: string): Command;
}

const node = process.execPath;
/**
 * blkaudit rows run as a user runs them: the `blkaudit` executable (it sets
 * V8's young generation size for large inputs, see bin/blkaudit.js); by default a large input is parsed
 * in worker threads when two CPUs are there (src/io/worker-pump.ts). The
 * `-1t` rows and the `parse-*` rows keep everything in one thread
 * (BLKAUDIT_PARSE_WORKER=0): what a single core does.
 */
const auto = {};
const inline = { BLKAUDIT_PARSE_WORKER: '0' };
/** A per-CPU set is named by its base name, as with `blkparse -i sdb`. */
const setName = (t: BenchTrace): string => join(t.dir, t.dev);

export const ROWS: Row[] = [
  { id: 'check-file', title: 'blkaudit check, blkparse text file', input: 'text', via: 'file', needs: ['check'],
    command: (t) => ({ argv: [BLKAUDIT, 'check', t.text], env: auto }) },
  { id: 'check-pipe', title: 'blkaudit check, blkparse text on a pipe', input: 'text', via: 'pipe', needs: ['check'],
    command: (t) => ({ argv: [BLKAUDIT, 'check', '-'], stdinFile: t.text, env: auto }) },
  { id: 'check-bin', title: 'blkaudit check, blktrace per-CPU files', input: 'binary', via: 'file', needs: ['check'],
    command: (t) => ({ argv: [BLKAUDIT, 'check', setName(t)], env: auto }) },
  { id: 'check-file-1t', title: 'blkaudit check, blkparse text file, one thread', input: 'text', via: 'file', needs: ['check'],
    command: (t) => ({ argv: [BLKAUDIT, 'check', t.text], env: inline }) },
  { id: 'check-bin-1t', title: 'blkaudit check, blktrace per-CPU files, one thread', input: 'binary', via: 'file', needs: ['check'],
    command: (t) => ({ argv: [BLKAUDIT, 'check', setName(t)], env: inline }) },
  { id: 'stats-file', title: 'blkaudit stats, blkparse text file', input: 'text', via: 'file', needs: ['stats'],
    command: (t) => ({ argv: [BLKAUDIT, 'stats', t.text], env: auto }) },
  { id: 'stats-pipe', title: 'blkaudit stats, blkparse text on a pipe', input: 'text', via: 'pipe', needs: ['stats'],
    command: (t) => ({ argv: [BLKAUDIT, 'stats', '-'], stdinFile: t.text, env: auto }) },
  { id: 'stats-bin', title: 'blkaudit stats, blktrace per-CPU files', input: 'binary', via: 'file', needs: ['stats'],
    command: (t) => ({ argv: [BLKAUDIT, 'stats', setName(t)], env: auto }) },
  { id: 'parse-file', title: 'blkaudit read only (analyze, no stages), text file', input: 'text', via: 'file', needs: [],
    command: (t) => ({ argv: [node, DRIVER, t.text], env: inline }) },
  { id: 'parse-pipe', title: 'blkaudit read only (analyze, no stages), text pipe', input: 'text', via: 'pipe', needs: [],
    command: (t) => ({ argv: [node, DRIVER, '-'], stdinFile: t.text, env: inline }) },
  { id: 'parse-bin', title: 'blkaudit read only (analyze, no stages), per-CPU files', input: 'binary', via: 'file', needs: [],
    command: (t) => ({ argv: [node, DRIVER, setName(t)], env: inline }) },
  { id: 'check-dump', title: 'blkaudit check, blkparse -d dump (what btt reads)', input: 'dump', via: 'file', needs: ['check', 'dump'],
    command: (t) => ({ argv: [BLKAUDIT, 'check', t.dump!], env: auto }) },
  { id: 'parse-dump', title: 'blkaudit read only (analyze, no stages), blkparse -d dump', input: 'dump', via: 'file', needs: ['dump'],
    command: (t) => ({ argv: [node, DRIVER, t.dump!], env: inline }) },
  { id: 'events-file', title: 'blkaudit events (NDJSON to /dev/null), text file', input: 'text', via: 'file', needs: ['events'],
    command: (t) => ({ argv: [BLKAUDIT, 'events', t.text], env: auto }) },
  { id: 'blkparse', title: 'blkparse -i DEV -o /dev/null (per-CPU files)', input: 'binary', via: 'file', needs: ['blkparse'],
    command: (t) => ({ argv: ['blkparse', '-D', t.dir, '-i', t.dev, '-o', '/dev/null'] }) },
  { id: 'btt', title: 'btt -i DUMP (blkparse -d dump)', input: 'dump', via: 'file', needs: ['btt', 'dump'],
    command: (t, scratch) => ({ argv: ['btt', '-i', t.dump!, '-o', join(scratch, 'btt')], cwd: scratch }) },
];

/** Rows run by default: everything available, `events-file` only while `check` is missing. */
export function defaultRows(have: Set<string>): string[] {
  return ROWS.filter((r) => r.id !== 'events-file' || !have.has('check')).map((r) => r.id);
}

export function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.some((d) => existsSync(join(d, cmd)));
}

/** What exists on this machine and in this build: blkaudit commands and external tools. */
export async function probe(): Promise<Set<string>> {
  const have = new Set<string>();
  const help = await capture([node, BLKAUDIT, '--help']);
  for (const cmd of ['check', 'stats', 'events']) {
    if (new RegExp(`^\\s+${cmd}\\b`, 'm').test(help.stdout)) have.add(cmd);
  }
  if (onPath('blkparse')) have.add('blkparse');
  if (onPath('btt')) have.add('btt');
  return have;
}

/** Why a row cannot run here, or undefined when it can. */
export function missing(row: Row, have: Set<string>, t?: BenchTrace): string | undefined {
  for (const n of row.needs) {
    if (n === 'dump') {
      if (t && !t.dump) return 'no blkparse dump (text made without blkparse)';
    } else if (!have.has(n)) {
      return n === 'blkparse' || n === 'btt' ? `${n} not installed (apt-get install blktrace)` : `blkaudit has no "${n}" command yet`;
    }
  }
  return undefined;
}
