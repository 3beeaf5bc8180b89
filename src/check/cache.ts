/**
 * Which devices have a volatile write cache.
 *
 * Declared: `--cache DEV=writeback|writethrough`, DEV as "maj,min", "maj:min"
 * or a name ("sda", "loop1", "/dev/loop1"). A name matches a device when it is
 * one of the names the input gave that device:
 *  - env.options['deviceNames']: Record<"maj,min", string | string[]>, the
 *    names a trace itself gives (biosnoop disks, CSV device columns);
 *  - env.options['deviceFileNames']: names from file names — blkparse's
 *    summary (`Events (loop1)`), its `Input file` notes, per-CPU file names
 *    (io/device-names.ts). Both are read at finish, so the blkparse trailer,
 *    which ends the stream, counts;
 *  - the stem of an input file ("loop1" for `loop1.blkparse.txt`,
 *    `sda.blktrace.0`) when that input carried this device only.
 *
 * Inferred: a PREFLUSH, FUA or barrier flag on any event, or a flush request,
 * means the kernel believed the cache volatile — submit_bio_noacct() clears
 * REQ_PREFLUSH|REQ_FUA before block_bio_queue when !bdev_write_cache()
 * (block/blk-core.c; shared reference §3.1). With no such event the cache is
 * unknown and findings that depend on it are warnings.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import { formatDev, parseDevNumbers, type DevId } from '../model/device.js';
import type { CacheDeclaration, CacheMode, CacheSource } from './types.js';
import { FILE_NAMES_OPTION, type NamesByDevice } from '../io/device-names.js';

const MODES: Record<string, 'writeback' | 'writethrough'> = {
  writeback: 'writeback', 'write-back': 'writeback', 'write back': 'writeback', wb: 'writeback',
  writethrough: 'writethrough', 'write-through': 'writethrough', 'write through': 'writethrough', wt: 'writethrough',
};

/** Parse one `DEV=MODE`; throws Error with a usage message when malformed. */
export function parseCacheDeclaration(text: string): CacheDeclaration {
  const eq = text.lastIndexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new Error(`--cache expects DEV=writeback|writethrough, got ${JSON.stringify(text)}`);
  const device = text.slice(0, eq).trim();
  const mode = MODES[text.slice(eq + 1).trim().toLowerCase()];
  if (!mode) throw new Error(`--cache ${JSON.stringify(text)}: mode must be writeback or writethrough`);
  if (device.length === 0) throw new Error(`--cache ${JSON.stringify(text)}: no device`);
  return { device, mode };
}

/** "loop1.blkparse.txt" → "loop1"; "/x/sda.blktrace.0" → "sda"; "-" → undefined. */
export function fileStem(path: string): string | undefined {
  if (path === '-' || path === '') return undefined;
  let base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  // strip trace suffixes: .gz, .txt, .blkparse, .blktrace.N, .btt, .log …
  for (;;) {
    const m = /\.(?:gz|txt|log|csv|json|ndjson|raw|bin|dat|out|blkparse|blktrace(?:\.\d+)?|btt|trace|ftrace)$/i.exec(base);
    if (!m) break;
    base = base.slice(0, m.index);
  }
  return base.length > 0 ? base : undefined;
}

/** Kernel disk names, so a file stem is shown as a device name only when it looks like one. */
const DISK_NAME = /^(?:[shv]d[a-z]+\d*|xvd[a-z]+\d*|nvme\d+n\d+(?:p\d+)?|loop\d+|dm-\d+|md\d+|mmcblk\d+(?:p\d+)?|nbd\d+|rbd\d+|zram\d+|pmem\d+|nullb\d+|ublkb\d+|sr\d+|drbd\d+|bcache\d+|zd\d+)$/;

export function looksLikeDiskName(s: string): boolean {
  return DISK_NAME.test(s);
}

function normalName(s: string): string {
  return s.startsWith('/dev/') ? s.slice(5) : s;
}

/**
 * Names the analysis knows for a device: the deviceNames option first, then
 * the stems of inputs that carried only this device. Any of them matches a
 * `--cache NAME`; reports show the first (a stem only if it looks like a disk).
 */
export function namesOf(env: AnalysisEnv, dev: DevId, sourcesOfDev: Iterable<number>, devsOfSource: (s: number) => number): string[] {
  const out: string[] = [];
  const given = (env.options['deviceNames'] as Record<string, string | string[]> | undefined)?.[formatDev(dev)];
  if (typeof given === 'string') out.push(given);
  else if (Array.isArray(given)) for (const g of given) if (typeof g === 'string') out.push(g);
  // names from file names (blkparse summary and notes, per-CPU files; io/device-names.ts)
  const fromFiles = (env.options[FILE_NAMES_OPTION] as NamesByDevice | undefined)?.[formatDev(dev)] ?? [];
  for (const n of fromFiles) if (!out.includes(n)) out.push(n);
  for (const s of sourcesOfDev) {
    if (devsOfSource(s) !== 1) continue;
    const stem = fileStem(env.sources[s]?.name ?? '');
    if (stem && !out.includes(stem)) out.push(stem);
  }
  return out;
}

/** The declaration that applies to a device, if any. */
export function declaredFor(decls: readonly CacheDeclaration[], dev: DevId, names: readonly string[]): CacheDeclaration | undefined {
  for (const d of decls) {
    const n = parseDevNumbers(d.device);
    if (n !== undefined) {
      if (n === dev) return d;
      continue;
    }
    const want = normalName(d.device);
    if (names.some((x) => normalName(x) === want)) return d;
  }
  return undefined;
}

export interface ResolvedCache {
  mode: CacheMode;
  source: CacheSource;
  /** Shown by the layer below (a QEMU device's WCE, see correlate): known, like a declaration; the words say how. */
  fromBelow?: string;
  /** Shown by a QEMU device below (its WCE), not by the devices a dm/md device's data goes to. */
  fromQemu?: boolean;
  /**
   * Written through inside these spans (ns, the device's own clock; an open end is ±Infinity), volatile
   * outside: the guest switched the write cache of its virtio disk at run time, once or more, and the QEMU
   * device below shows it (qemu/cache-mode.ts).
   */
  writeThroughSpans?: Array<[number, number]>;
}

/** A device's cache as the layer below shows it (correlate stage → checker). */
export interface CacheShownBelow {
  mode: 'writeback' | 'writethrough';
  how: string;
  /** Shown by a QEMU device (its WCE), not by the devices a dm/md device's data goes to. */
  byQemu?: boolean;
  /** Written through inside these spans (ns, the device's own clock; ±Infinity open): the guest switched WCE at run time. */
  writeThroughSpans?: Array<[number, number]>;
}

export function resolveCache(decl: CacheDeclaration | undefined, flushEvidence: number, below?: CacheShownBelow): ResolvedCache {
  if (decl) return { mode: decl.mode, source: 'declared' };
  if (below) {
    return {
      mode: below.mode, source: 'inferred', fromBelow: below.how, ...(below.byQemu ? { fromQemu: true } : {}),
      ...(below.writeThroughSpans ? { writeThroughSpans: below.writeThroughSpans } : {}),
    };
  }
  if (flushEvidence > 0) return { mode: 'writeback', source: 'inferred' };
  return { mode: 'unknown', source: 'unknown' };
}
