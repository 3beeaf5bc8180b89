/**
 * Finding captures under directories (`blkaudit check --each DIR…`) and the
 * layers of each by file name, the way the lab writes them (shared/corpus,
 * shared/lab/capture-*.py):
 *
 *   DIR/guest/*.blkparse.txt   layer "guest"  (the guest kernel's devices)
 *   DIR/qemu-trace.log         layer "qemu"   (QEMU's log trace backend; .gz too, as *.blkparse.txt.gz)
 *   DIR/host/*.blkparse.txt    layer "host"   (the host kernel's devices)
 *   DIR/*.blkparse.txt         layer "host" when the capture has a qemu or guest layer (qemu-io captures:
 *                              the host trace beside the QEMU log); otherwise one unnamed layer whose
 *                              devices are each checked on their own (a host capture)
 *
 * A layer directory without `*.blkparse.txt` is read from its blktrace per-CPU
 * sets instead (`DEV.blktrace.N`, in it or in its `blktrace/`), one input per
 * device. Traces of device-mapper (`dm-N`) and md (`mdN`) devices beside
 * disks in one layer directory are stacked above them, dm over md over disks
 * (LVM or dm-crypt on RAID), as layers `<dir>-dm` and `<dir>-md`: the order
 * the corpus' stacked VM capture has. Another order needs `layer=path`
 * inputs or --stack.
 *
 * A directory is a capture when it has one of these at its top; its
 * subdirectories are then not searched further. Any other directory is
 * searched (subdirectories in name order, symbolic links not followed).
 * Nothing is read but directory listings: formats are still detected by
 * content when the capture is checked.
 */
import { promises as fs, type Dirent } from 'node:fs';
import { join, relative } from 'node:path';

export interface CaptureInput {
  layer: string;
  path: string;
}

export interface Capture {
  /** The capture directory as found (DIR joined with the subpath). */
  dir: string;
  /** Its path relative to the --each argument it was found under ("" when it is that argument). */
  name: string;
  /** Inputs top layer first, as `check layer=path …` would take them. */
  inputs: CaptureInput[];
}

const BLKPARSE = /\.blkparse\.txt(?:\.gz)?$/;
const PERCPU = /^(.+)\.blktrace\.0$/;
const QEMU_LOG = /^qemu-trace\.log(?:\.gz)?$/;
/** Searching stops this deep below an --each argument (a guard against huge trees, not a format rule). */
const MAX_DEPTH = 16;

async function list(dir: string): Promise<Dirent[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

/** The trace files of one layer directory: blkparse text, else per-CPU blktrace sets (base paths). */
async function layerFiles(dir: string, entries?: Dirent[]): Promise<string[]> {
  const here = entries ?? (await list(dir));
  const text = here.filter((e) => e.isFile() && BLKPARSE.test(e.name)).map((e) => join(dir, e.name));
  if (text.length > 0) return text;
  const sets = (where: string, es: Dirent[]) =>
    es.flatMap((e) => {
      const m = e.isFile() ? PERCPU.exec(e.name) : null;
      return m ? [join(where, m[1]!)] : [];
    });
  const top = sets(dir, here);
  if (top.length > 0) return top;
  return here.some((e) => e.isDirectory() && e.name === 'blktrace') ? sets(join(dir, 'blktrace'), await list(join(dir, 'blktrace'))) : [];
}

/** The device a trace file holds, from its name: "dm-0.blkparse.txt" → "dm-0". */
function deviceOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(BLKPARSE, '');
}

type Kind = 'dm' | 'md' | 'disk';
const KIND_ORDER: Kind[] = ['dm', 'md', 'disk'];

function kindOf(path: string): Kind {
  const dev = deviceOf(path);
  if (/^dm-\d+$/.test(dev)) return 'dm';
  if (/^md\d+$/.test(dev) || /^md_\w+$/.test(dev)) return 'md';
  return 'disk';
}

/** One layer directory's inputs, split into dm / md / disk layers when it holds more than one kind. */
function stackedLayers(name: string, files: string[]): CaptureInput[] {
  const kinds = new Set(files.map(kindOf));
  if (kinds.size <= 1) return files.map((path) => ({ layer: name, path }));
  const out: CaptureInput[] = [];
  for (const k of KIND_ORDER) {
    for (const path of files.filter((f) => kindOf(f) === k)) out.push({ layer: k === 'disk' ? name : `${name}-${k}`, path });
  }
  return out;
}

/** The capture in `dir`, or undefined when `dir` is not one (see the rules above). */
export async function captureAt(dir: string, entries?: Dirent[]): Promise<CaptureInput[] | undefined> {
  const es = entries ?? (await list(dir));
  const has = (n: string, dirent: 'file' | 'dir') => es.some((e) => e.name === n && (dirent === 'file' ? e.isFile() : e.isDirectory()));
  const guest = has('guest', 'dir') ? await layerFiles(join(dir, 'guest')) : [];
  const host = has('host', 'dir') ? await layerFiles(join(dir, 'host')) : [];
  const qemu = es.filter((e) => e.isFile() && QEMU_LOG.test(e.name)).map((e) => join(dir, e.name)).slice(0, 1);
  const top = await layerFiles(dir, es);
  if (guest.length + host.length + qemu.length + top.length === 0) return undefined;
  if (guest.length + host.length + qemu.length === 0) return top.map((path) => ({ layer: '', path }));
  return [
    ...stackedLayers('guest', guest),
    ...qemu.map((path) => ({ layer: 'qemu', path })),
    ...stackedLayers('host', [...host, ...top]),
  ];
}

/** Every capture under the given directories, in argument order then path order. */
export async function findCaptures(roots: string[]): Promise<Capture[]> {
  const out: Capture[] = [];
  const walk = async (root: string, dir: string, depth: number): Promise<void> => {
    const es = await list(dir);
    const inputs = await captureAt(dir, es);
    if (inputs) {
      out.push({ dir, name: relative(root, dir), inputs });
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of es) if (e.isDirectory()) await walk(root, join(dir, e.name), depth + 1);
  };
  for (const root of roots) await walk(root, root, 0);
  return out;
}
