/**
 * The names an input gives its devices, gathered while it is read, so that
 * `--cache loop1=writeback` works whatever the input is called — a pipe
 * (`blkparse -i loop1 | blkaudit check -`), a renamed file, a directory:
 *
 *  - blkparse's summary trailer: `CPU0 (loop1):`, `Total (loop1):`,
 *    `Events (loop1): N entries` (blkparse.c `show_device_and_cpu_stats`,
 *    `get_dev_name`: the name is the `-i` argument, "maj,min" when there is
 *    none — those are not names);
 *  - blkparse's notes `Input file loop1.blktrace.0 added` (blkparse.c
 *    `setup_file`; on stderr, in the stream when captured with 2>&1);
 *  - the per-CPU file names `NAME.blktrace.CPU`, by the devices each file
 *    held (blktrace writes one set per traced device).
 *
 * A name is tied to a device only when that is unambiguous: the input held
 * one device, or — a summary of several devices — exactly one device has the
 * event count blkparse printed for that name. Otherwise the name is left out,
 * never guessed. All of these are file names chosen by whoever ran blktrace:
 * they match `--cache NAME`, and are shown as the device's name only when they
 * look like a kernel disk name (check/cache.ts `looksLikeDiskName`).
 *
 * The summary comes at the end of the stream: the checker resolves `--cache`
 * in its finish(), after every input was read (check/checker.ts), so names
 * that arrive last still count and nothing has to be buffered.
 */
import { formatDev } from '../model/device.js';
import type { BlkparseSummary } from '../formats/blkparse/summary.js';

/** "maj,min" → names, as kept in AnalysisEnv.options['deviceFileNames']. */
export type NamesByDevice = Record<string, string[]>;

/** The option key the checker reads (check/cache.ts `namesOf`). */
export const FILE_NAMES_OPTION = 'deviceFileNames';

const DEV_NUMBERS = /^\d+\s*[,:]\s*\d+$/;
const SET_FILE = /^(.+)\.blktrace\.\d+$/;

function addName(book: NamesByDevice, dev: string, name: string): void {
  const n = name.trim();
  if (n === '' || DEV_NUMBERS.test(n) || n.length > 255) return;
  const list = (book[dev] ??= []);
  if (!list.includes(n)) list.push(n);
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * Names from a blkparse summary for the devices of one input, given how many
 * events each device had in that input.
 */
export function namesFromSummary(summary: BlkparseSummary, devEvents: ReadonlyMap<number, number>, book: NamesByDevice): void {
  const devs = [...devEvents.keys()];
  const names = [...new Set([...summary.blocks.map((b) => b.device), ...Object.keys(summary.events)])]
    .filter((n) => n.trim() !== '' && !DEV_NUMBERS.test(n.trim()));
  if (names.length === 1 && devs.length === 1) {
    addName(book, formatDev(devs[0]!), names[0]!);
  } else if (names.length > 1) {
    for (const name of names) {
      const want = summary.events[name];
      if (want === undefined) continue;
      const same = devs.filter((d) => devEvents.get(d) === want);
      const rivals = names.filter((n) => n !== name && summary.events[n] === want);
      if (same.length === 1 && rivals.length === 0) addName(book, formatDev(same[0]!), name);
    }
  }
  // "Input file NAME.blktrace.N added": one set named and one device read
  const sets = [...new Set((summary.inputFiles ?? []).map((f) => SET_FILE.exec(baseName(f))?.[1]).filter((n): n is string => n !== undefined))];
  if (sets.length === 1 && devs.length === 1) addName(book, formatDev(devs[0]!), sets[0]!);
}

/** Names from per-CPU file names: a set whose files held one device names it. */
export function namesFromFiles(files: ReadonlyArray<{ path: string; devices: readonly string[] }>, book: NamesByDevice): void {
  const bySet = new Map<string, Set<string>>();
  for (const f of files) {
    const set = SET_FILE.exec(baseName(f.path))?.[1];
    if (set === undefined) continue;
    let devs = bySet.get(set);
    if (!devs) bySet.set(set, (devs = new Set()));
    for (const d of f.devices) devs.add(d);
  }
  for (const [set, devs] of bySet) if (devs.size === 1) addName(book, [...devs][0]!, set);
}

/**
 * Per-input event counts by device. The reader's sink counts the current run
 * of one device's events itself and folds it in here only when the device
 * changes or a name arrives (most inputs hold one device: one add in all).
 */
export class DeviceEventCounter {
  readonly counts = new Map<number, number>();

  add(dev: number, n: number): void {
    if (n > 0 && dev >= 0) this.counts.set(dev, (this.counts.get(dev) ?? 0) + n);
  }
}
