/**
 * A long three-layer stack for the bench (`npm run bench -- --stack N`): the
 * real VM capture in fixtures/scenarios/vm-none-threads (guest vda blkparse
 * text → QEMU log → host loop1 blkparse text, clean) repeated N times, copy k
 * shifted by the same amount S_k in every layer's clock — real time passes
 * alike in the guest, QEMU and the host, whatever each clock's origin.
 *
 *   random:   S_k = S_(k-1) + span + gap_k, gap_k uniform in [GAP_MIN, GAP_MAX) seconds (seeded)
 *   periodic: S_k = k × (span + 1 µs): no gap, a workload so regular that
 *             several clock offsets between layers fit it about equally well
 *
 * span is the longest time one copy lasts in any layer, so copies never
 * overlap in any layer. Shifts are whole microseconds (QEMU's resolution).
 * blkparse sequence numbers continue per CPU from copy to copy; each file's
 * summary trailer is left out (its totals would be those of one copy); the
 * QEMU lines keep their thread ids and pointers (QEMU reuses them too).
 * Files are written a copy at a time (memory does not grow with N) and
 * reused when they exist.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from './prng.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STACK_SOURCE = join(ROOT, 'fixtures', 'scenarios', 'vm-none-threads');
export const GAP_MIN = 0.05;
export const GAP_MAX = 2;

export type StackVariant = 'random' | 'periodic';

export interface StackTrace {
  dir: string;
  copies: number;
  variant: StackVariant;
  /** `layer=path` inputs, top layer first. */
  inputs: string[];
  /** Lines written per layer (event lines for blkparse, every line for QEMU). */
  lines: { guest: number; qemu: number; host: number };
  bytes: number;
  /** Shift of each copy, µs (only kept for small N: tests read it). */
  shiftsUs?: number[];
}

/** blkparse event line: dev cpu seq sec.nsec … (the time is the 4th field). */
const BLKPARSE_EVENT = /^(\s*\d+,\d+\s+)(\d+)(\s+)(\d+)(\s+)(\d+)\.(\d{9})(\s.*)$/;
/** QEMU log prefix "TID@SEC.USEC:". */
const QEMU_PREFIX = /^(\d+@)(\d+)\.(\d{6})(:.*)$/;

interface Template {
  guest: string[];
  qemu: string[];
  host: string[];
  spanUs: number;
}

function blkparseEvents(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => BLKPARSE_EVENT.test(l));
}

function blkparseSpanUs(lines: string[]): number {
  const t = (l: string) => {
    const m = BLKPARSE_EVENT.exec(l)!;
    return Number(m[6]) * 1e6 + Number(m[7]) / 1e3;
  };
  return t(lines[lines.length - 1]!) - t(lines[0]!);
}

function qemuSpanUs(lines: string[]): number {
  const timed = lines.map((l) => QEMU_PREFIX.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const us = (m: RegExpExecArray) => Number(m[2]) * 1e6 + Number(m[3]);
  return us(timed[timed.length - 1]!) - us(timed[0]!);
}

export function loadTemplate(source = STACK_SOURCE): Template {
  const guest = blkparseEvents(join(source, 'vda.blkparse.txt'));
  const host = blkparseEvents(join(source, 'loop1.blkparse.txt'));
  const qemu = readFileSync(join(source, 'qemu-trace.log'), 'utf8').split('\n').filter((l) => l !== '');
  const spanUs = Math.ceil(Math.max(blkparseSpanUs(guest), blkparseSpanUs(host), qemuSpanUs(qemu)));
  return { guest, qemu, host, spanUs };
}

/** One blkparse line shifted by `shiftUs` µs, its sequence number advanced by seqBase[cpu]. */
export function shiftBlkparse(line: string, shiftUs: number, seqBase: Map<number, number>, seqMax: Map<number, number>, rate = 0): string {
  const m = BLKPARSE_EVENT.exec(line)!;
  const cpu = Number(m[2]);
  const seq = Number(m[4]) + (seqBase.get(cpu) ?? 0);
  seqMax.set(cpu, Math.max(seqMax.get(cpu) ?? 0, seq));
  const shifted = Number(m[6]) * 1e9 + Number(m[7]) + shiftUs * 1000;
  // a clock running `rate` faster than the others (drift): its time grows by rate × elapsed
  const ns = Math.round(shifted + rate * shifted);
  const sec = Math.floor(ns / 1e9);
  const frac = String(ns - sec * 1e9).padStart(9, '0');
  return `${m[1]}${m[2]}${m[3]}${String(seq).padStart(m[4]!.length)}${m[5]}${String(sec).padStart(m[6]!.length)}.${frac}${m[8]}`;
}

/** One QEMU log line shifted by `shiftUs` µs (lines without a timestamp are kept as they are). */
export function shiftQemu(line: string, shiftUs: number): string {
  const m = QEMU_PREFIX.exec(line);
  if (!m) return line;
  const us = Number(m[2]) * 1e6 + Number(m[3]) + shiftUs;
  const sec = Math.floor(us / 1e6);
  return `${m[1]}${sec}.${String(us - sec * 1e6).padStart(6, '0')}${m[4]}`;
}

/** The shift of each copy, µs. */
export function shifts(copies: number, variant: StackVariant, spanUs: number, seed: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  let s = 0;
  for (let k = 0; k < copies; k++) {
    out.push(s);
    const gap = variant === 'periodic' ? 1 : Math.round((GAP_MIN + rng.random() * (GAP_MAX - GAP_MIN)) * 1e6);
    s += spanUs + gap;
  }
  return out;
}

class LineFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  lines = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    this.lines++;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    const b = Buffer.from(this.parts.join(''), 'utf8');
    writeSync(this.fd, b);
    this.bytes += b.length;
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface StackOptions {
  root: string;
  copies: number;
  variant: StackVariant;
  seed: number;
  regen?: boolean;
  source?: string;
  log?: (s: string) => void;
  /** The guest's clock runs this many ppm faster than QEMU's and the host's (one host clock): clock drift. */
  driftPpm?: number;
  /** Which layer's clock drifts (default guest; host: a lower layer traced on another machine). */
  driftLayer?: 'guest' | 'host';
  /** Lines to leave out (tests break a copy on purpose); the directory is then not reused. */
  dropLine?: (layer: 'guest' | 'qemu' | 'host', copy: number, line: string) => boolean;
  /** Directory name suffix for a variant (with dropLine). */
  tag?: string;
}

export function prepareStack(o: StackOptions): StackTrace {
  const dir = join(o.root, `stack-${o.copies}-${o.variant}-seed-${o.seed}${o.driftPpm ? `-drift-${o.driftLayer ?? 'guest'}-${o.driftPpm}` : ''}${o.tag ? `-${o.tag}` : ''}`);
  const meta = join(dir, 'stack.json');
  if (!o.regen && !o.dropLine && existsSync(meta)) {
    o.log?.(`stack: reusing ${dir}`);
    return JSON.parse(readFileSync(meta, 'utf8')) as StackTrace;
  }
  mkdirSync(dir, { recursive: true });
  o.log?.(`stack: writing ${o.copies} ${o.variant} copies of ${o.source ?? STACK_SOURCE} to ${dir} …`);
  const t = loadTemplate(o.source);
  const sh = shifts(o.copies, o.variant, t.spanUs, o.seed);
  const files = { guest: new LineFile(join(dir, 'vda.blkparse.txt')), qemu: new LineFile(join(dir, 'qemu-trace.log')), host: new LineFile(join(dir, 'loop1.blkparse.txt')) };
  const seq = { guest: [new Map<number, number>(), new Map<number, number>()], host: [new Map<number, number>(), new Map<number, number>()] };
  for (let k = 0; k < o.copies; k++) {
    const s = sh[k]!;
    for (const layer of ['guest', 'host'] as const) {
      const [base, max] = seq[layer] as [Map<number, number>, Map<number, number>];
      const rate = layer === (o.driftLayer ?? 'guest') ? (o.driftPpm ?? 0) * 1e-6 : 0;
      for (const l of t[layer]) if (!o.dropLine?.(layer, k, l)) files[layer].line(shiftBlkparse(l, s, base, max, rate));
      for (const [cpu, m] of max) base.set(cpu, m);
    }
    for (const l of t.qemu) if (!o.dropLine?.('qemu', k, l)) files.qemu.line(shiftQemu(l, s));
  }
  for (const f of Object.values(files)) f.close();
  const out: StackTrace = {
    dir,
    copies: o.copies,
    variant: o.variant,
    inputs: [`guest=${files.guest.path}`, `qemu=${files.qemu.path}`, `host=${files.host.path}`],
    lines: { guest: files.guest.lines, qemu: files.qemu.lines, host: files.host.lines },
    bytes: Object.values(files).reduce((n, f) => n + statSync(f.path).size, 0),
    ...(o.copies <= 1000 ? { shiftsUs: sh } : {}),
  };
  writeFileSync(`${meta}.tmp`, JSON.stringify(out));
  renameSync(`${meta}.tmp`, meta);
  return out;
}

/** `node dist/bench/stack.js DIR N [random|periodic] [SEED]`: the generator alone. */
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [root, n, variant, seed, drift] = process.argv.slice(2);
  if (!root || !n) {
    process.stderr.write('usage: node dist/bench/stack.js DIR COPIES [random|periodic] [SEED] [GUEST_DRIFT_PPM]\n');
    process.exitCode = 2;
  } else {
    const t = prepareStack({ root, copies: Number(n), variant: (variant ?? 'random') as StackVariant, seed: Number(seed ?? 1), ...(drift ? { driftPpm: Number(drift) } : {}), regen: true, log: (s) => process.stderr.write(`${s}\n`) });
    process.stdout.write(`${t.inputs.join(' ')}\n`);
  }
}
