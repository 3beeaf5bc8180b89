/**
 * Resolving a blktrace per-CPU file set the way `blkparse -i NAME` does
 * (blkparse.c `name_fixup`, `setup_file`, `do_file`):
 *   - a base name: `sda` → sda.blktrace.0, .1, … (the arg itself need not exist);
 *   - one of the files: `sda.blktrace.1` → the whole set of `sda`;
 *   - `sda.blktrace` or `sda.blktrace.` when no such file exists: the set of `sda`;
 *   - a directory: every set in it (`blktrace -d /dev/sda -d /dev/sdb -D dir`),
 *     by name, so several devices' sets are read and merged together.
 * CPU files are taken from 0 up to the first missing number, like blkparse;
 * present files after a gap are returned as `ignored` so the caller can say so.
 * A present but empty file belongs to the set (an idle CPU). A set whose CPU 0
 * is missing comes back with no files and all of them `ignored`.
 */
import { basename, dirname, join } from 'node:path';
import { readdirEntriesAsync, statAsync } from './fs-async.js';

const SET_FILE = /^(.+)\.blktrace\.(\d+)$/;

export interface BlktraceSet {
  /** Files to read, grouped by set name, CPUs ascending. */
  files: string[];
  /** Set names (the `NAME` of NAME.blktrace.N), in the order read. */
  names: string[];
  /** Per-CPU files present but not read: their CPU number follows a missing one. */
  ignored: string[];
}

/** The per-CPU files for `arg`, or undefined when `arg` is not a blktrace set. */
export async function resolveBlktraceInput(arg: string): Promise<string[] | undefined> {
  const set = await resolveBlktraceSet(arg);
  return set && set.files.length > 0 ? set.files : undefined;
}

export async function resolveBlktraceSet(arg: string): Promise<BlktraceSet | undefined> {
  if (arg === '-' || arg === '') return undefined;
  const st = await statOrUndefined(arg);
  if (st?.isDirectory()) {
    const sets = await listSets(arg);
    return collect(arg, [...sets.keys()].sort(), sets);
  }
  let dir: string;
  let name: string;
  if (st) {
    // A regular file is a set member only by its name; anything else is a single stream.
    const m = SET_FILE.exec(basename(arg));
    if (!m || !st.isFile()) return undefined;
    dir = dirname(arg);
    name = m[1]!;
    // a member of a set without CPU 0 is read alone, as one stream
    const set = collect(dir, [name], await listSets(dir));
    return set && set.files.length > 0 ? set : undefined;
  } else {
    dir = dirname(arg);
    name = basename(arg);
  }
  const sets = await listSets(dir);
  // `sda.blktrace` (or `sda.blktrace.`, a shell completion stopped at the CPU number), when no such file
  // exists: the set `sda` (blkparse -i would look for sda.blktrace.blktrace.0 and read nothing)
  if (!st && !sets.has(name)) name = name.replace(/\.blktrace\.?$/, '');
  if (!sets.has(name)) return undefined;
  return collect(dir, [name], sets);
}

async function statOrUndefined(path: string) {
  try {
    return await statAsync(path);
  } catch {
    return undefined;
  }
}

/** name → cpu → file name, for every NAME.blktrace.N regular file in dir. */
async function listSets(dir: string): Promise<Map<string, Map<number, string>>> {
  const sets = new Map<string, Map<number, string>>();
  let entries;
  try {
    entries = await readdirEntriesAsync(dir);
  } catch {
    return sets;
  }
  for (const e of entries) {
    const m = SET_FILE.exec(e.name);
    if (!m) continue;
    if (!e.isFile() && !(e.isSymbolicLink() && (await statOrUndefined(join(dir, e.name)))?.isFile())) continue;
    const cpu = Number(m[2]);
    // "sda.blktrace.01" is not a file blkparse would open (it prints %d).
    if (String(cpu) !== m[2]) continue;
    let cpus = sets.get(m[1]!);
    if (!cpus) sets.set(m[1]!, (cpus = new Map()));
    cpus.set(cpu, e.name);
  }
  return sets;
}

function collect(dir: string, names: string[], sets: Map<string, Map<number, string>>): BlktraceSet | undefined {
  const out: BlktraceSet = { files: [], names: [], ignored: [] };
  for (const name of names) {
    const cpus = sets.get(name)!;
    let n = 0;
    for (; cpus.has(n); n++) out.files.push(join(dir, cpus.get(n)!));
    if (n > 0) out.names.push(name);
    for (const cpu of [...cpus.keys()].sort((a, b) => a - b)) if (cpu >= n) out.ignored.push(join(dir, cpus.get(cpu)!));
  }
  // files empty but ignored not: CPU 0 is missing, the caller says so (blkparse silently reads nothing)
  return out.files.length > 0 || out.ignored.length > 0 ? out : undefined;
}
