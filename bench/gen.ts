/**
 * A large, realistic blktrace trace for benchmarks: per-CPU binary files
 * `OUTDIR/<dev>.blktrace.<cpu>` as blktrace(8) writes them, optionally with the
 * blkparse default text (the built-in formatter; the bench prefers the real
 * blkparse when installed). A TypeScript port of lab/gen-big.py: the same
 * stories, weights, action codes and pdus, modelled on the 6.18 loop-device
 * captures (see its docstring); only the random number stream differs.
 *
 *   node dist/bench/gen.js OUTDIR [--events N] [--cpus 4] [--seed 1] [--dev sdb] [--no-partition] [--text]
 *
 * Memory is bounded by the stories in flight (a small time-ordered heap), not
 * by the number of events.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlkparseTextFormatter } from './blkparse-text.js';
import { actionWord, BufferedFile, encodeRecord, Pdu, pduLength, RECORD_SIZE, TC, TN, type RecordFields } from './records.js';
import { Stories } from './stories.js';

export interface GenOptions {
  outDir: string;
  events: number;
  cpus?: number;
  seed?: number;
  dev?: string;
  partition?: boolean;
  /** Also write <dev>.blkparse.txt with the built-in formatter. */
  text?: boolean;
}

export interface GenResult {
  /** Event records written (notes excluded): the number of event lines blkparse prints. */
  events: number;
  /** Notes (BLK_TN_PROCESS / BLK_TN_TIMESTAMP) written besides. */
  notes: number;
  cpus: number;
  dev: string;
  /** Per-CPU file paths. */
  files: string[];
  binaryBytes: number;
  textPath?: string;
  textBytes?: number;
  seconds: number;
}

/** One event waiting in the time-ordered heap. */
export interface Pending {
  t: number;
  tie: number;
  cpu: number;
  a: number;
  flags: number;
  sector: number;
  bytes: number;
  pid: number;
  pduKind: number;
  pduValue: number;
}

const MAJOR = 8;
const MINOR = 16;

export class TraceWriter {
  readonly dev = MAJOR * (1 << 20) + MINOR;
  readonly pdev = MAJOR * (1 << 20) + MINOR + 1;
  readonly files: BufferedFile[];
  readonly paths: string[];
  private readonly seq: number[];
  private readonly heap: Pending[] = [];
  private readonly seen = new Set<number>();
  private tie = 0;
  n = 0;
  notes = 0;
  private readonly rec: RecordFields = {
    seq: 0, time: 0, sector: 0, bytes: 0, action: 0, pid: 0, dev: 0, cpu: 0, error: 0,
    pduKind: 0, pduValue: 0, pduDev: 0, comm: '',
  };

  constructor(
    outDir: string,
    devName: string,
    cpus: number,
    private readonly comm: Map<number, string>,
    private readonly text?: { file: BufferedFile; fmt: BlkparseTextFormatter },
  ) {
    this.paths = Array.from({ length: cpus }, (_, c) => join(outDir, `${devName}.blktrace.${c}`));
    this.files = this.paths.map((p) => new BufferedFile(p));
    this.seq = new Array<number>(cpus).fill(0);
  }

  emit(t: number, cpu: number, a: number, flags: number, sector: number, bytes: number, pid: number,
    pduKind: number = Pdu.None, pduValue = 0): void {
    const h = this.heap;
    h.push({ t, tie: ++this.tie, cpu, a, flags, sector, bytes, pid, pduKind, pduValue });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Writes every pending event earlier than `upto`, in time order. */
  drain(upto: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.t < upto) this.write(this.pop());
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** BLK_TN_TIMESTAMP note at the start of cpu 0's file (wall clock of the "capture"). */
  timestampNote(t: number, wallNs: number): void {
    this.note(0, t, TN.TIMESTAMP, 0, Pdu.Timestamp, wallNs, '');
  }

  private note(cpu: number, t: number, kind: number, pid: number, pduKind: number, pduValue: number, comm: string): void {
    const r = this.rec;
    r.seq = 0; r.time = t; r.sector = 0; r.bytes = 0; r.action = (kind | (TC.NOTIFY << 16)) >>> 0;
    r.pid = pid; r.dev = this.dev; r.cpu = cpu; r.error = 0; r.pduKind = pduKind; r.pduValue = pduValue;
    r.pduDev = 0; r.comm = comm;
    this.put(cpu);
    this.notes++;
  }

  private put(cpu: number): void {
    const f = this.files[cpu]!;
    const at = f.reserve(RECORD_SIZE + pduLength(this.rec.pduKind));
    f.commit(encodeRecord(f.buffer, at, this.rec));
  }

  private write(e: Pending): void {
    if (e.pid && !this.seen.has(e.pid)) {
      this.seen.add(e.pid);
      const name = this.comm.get(e.pid) ?? 'proc';
      this.note(e.cpu, e.t, TN.PROCESS, e.pid, Pdu.Comm, 0, name);
      this.text?.fmt.process(e.pid, name);
    }
    const r = this.rec;
    r.seq = ++this.seq[e.cpu]!;
    r.time = e.t; r.sector = e.sector; r.bytes = e.bytes;
    r.action = actionWord(e.a, e.flags);
    r.pid = e.pid; r.dev = this.dev; r.cpu = e.cpu; r.error = 0;
    r.pduKind = e.pduKind; r.pduValue = e.pduValue; r.pduDev = this.pdev; r.comm = '';
    this.put(e.cpu);
    this.n++;
    if (this.text) this.text.file.writeString(this.text.fmt.line(r));
  }

  close(): number {
    this.drain(Number.MAX_SAFE_INTEGER);
    let bytes = 0;
    for (const f of this.files) {
      f.close();
      bytes += f.bytes;
    }
    this.text?.file.close();
    return bytes;
  }
}

function before(x: Pending, y: Pending): boolean {
  return x.t < y.t || (x.t === y.t && x.tie < y.tie);
}

export function generate(o: GenOptions): GenResult {
  const started = process.hrtime.bigint();
  const cpus = o.cpus ?? 4;
  const devName = o.dev ?? 'sdb';
  mkdirSync(o.outDir, { recursive: true });
  const textPath = o.text ? join(o.outDir, `${devName}.blkparse.txt`) : undefined;
  const text = textPath ? { file: new BufferedFile(textPath), fmt: new BlkparseTextFormatter() } : undefined;
  const stories = new Stories(o.seed ?? 1, cpus, devName, o.partition ?? true);
  const w = new TraceWriter(o.outDir, devName, cpus, stories.comm, text);
  stories.run(w, o.events);
  const binaryBytes = w.close();
  const res: GenResult = {
    events: w.n, notes: w.notes, cpus, dev: devName, files: w.paths, binaryBytes,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
  if (textPath && text) {
    res.textPath = textPath;
    res.textBytes = text.file.bytes;
  }
  return res;
}

function parseArgs(argv: string[]): GenOptions {
  const o: GenOptions = { outDir: '', events: 10_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--events') o.events = Number(val());
    else if (a === '--cpus') o.cpus = Number(val());
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--dev') o.dev = val();
    else if (a === '--no-partition') o.partition = false;
    else if (a === '--text') o.text = true;
    else if (!a.startsWith('-') && !o.outDir) o.outDir = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.outDir) throw new Error('usage: gen.js OUTDIR [--events N] [--cpus 4] [--seed 1] [--dev sdb] [--no-partition] [--text]');
  if (!Number.isInteger(o.events) || o.events <= 0) throw new Error('--events must be a positive whole number');
  if (o.dev !== undefined && !/^[\w.-]{1,32}$/.test(o.dev)) throw new Error('--dev must be a plain device name');
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const r = generate(o);
    writeFileSync(join(o.outDir, 'gen.json'), JSON.stringify({ ...r, seed: o.seed ?? 1 }, null, 2) + '\n');
    process.stdout.write(`generated ${r.events} events (+${r.notes} notes, ${(r.binaryBytes / 1e6).toFixed(1)} MB binary, ` +
      `${r.cpus} cpus) in ${r.seconds.toFixed(1)} s\n`);
  } catch (err) {
    process.stderr.write(`gen: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
