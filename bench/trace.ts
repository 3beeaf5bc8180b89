/**
 * The bench trace on disk: per-CPU blktrace files from bench/gen.ts, the
 * blkparse text and blkparse's binary dump (`-d`, what btt reads). With the
 * real blkparse installed, the text is blkparse's own output (with its
 * summary trailer); without it the generator's formatter writes the same
 * event lines and there is no dump (so no btt row).
 *
 * A trace is kept in DIR/events-N-seed-S/ and reused while its gen.json says
 * it is complete: generating 10 M events and running blkparse over them takes
 * about a minute.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from './gen.js';
import { capture } from './measure.js';

export interface BenchTrace {
  dir: string;
  dev: string;
  events: number;
  cpus: number;
  /** Per-CPU binary files. */
  cpuFiles: string[];
  binaryBytes: number;
  text: string;
  textBytes: number;
  textBy: 'blkparse' | 'generator';
  /** blkparse -d dump (one merged binary stream), when blkparse made the text. */
  dump?: string;
  dumpBytes?: number;
}

export interface TraceOptions {
  root: string;
  events: number;
  seed: number;
  cpus: number;
  regen: boolean;
  useBlkparse: boolean;
  log: (line: string) => void;
}

const META = 'bench-trace.json';

export async function prepareTrace(o: TraceOptions): Promise<BenchTrace> {
  const dir = join(o.root, `events-${o.events}-seed-${o.seed}-cpus-${o.cpus}`);
  const metaPath = join(dir, META);
  if (!o.regen && existsSync(metaPath)) {
    const t = JSON.parse(readFileSync(metaPath, 'utf8')) as BenchTrace;
    const ok = t.cpuFiles.every((f) => existsSync(f)) && existsSync(t.text) && (!t.dump || existsSync(t.dump));
    if (ok && (t.textBy === 'blkparse' || !o.useBlkparse)) {
      o.log(`trace: reusing ${dir} (${t.events} events)`);
      return t;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const dev = 'sdb';
  o.log(`trace: generating ${o.events} events in ${dir} …`);
  const g = generate({ outDir: dir, events: o.events, seed: o.seed, cpus: o.cpus, dev, text: !o.useBlkparse });
  o.log(`trace: ${g.events} events, ${(g.binaryBytes / 1e6).toFixed(0)} MB binary in ${g.seconds.toFixed(1)} s`);
  const t: BenchTrace = {
    dir, dev, events: g.events, cpus: g.cpus, cpuFiles: g.files, binaryBytes: g.binaryBytes,
    text: join(dir, `${dev}.blkparse.txt`), textBytes: g.textBytes ?? 0, textBy: 'generator',
  };
  if (o.useBlkparse) {
    const dump = join(dir, `${dev}.bin`);
    const started = Date.now();
    const r = await capture(['blkparse', '-D', dir, '-i', dev, '-o', t.text, '-d', dump]);
    if (r.code !== 0) throw new Error(`blkparse failed (exit ${r.code}) writing ${t.text}`);
    t.textBy = 'blkparse';
    t.textBytes = statSync(t.text).size;
    t.dump = dump;
    t.dumpBytes = statSync(dump).size;
    o.log(`trace: blkparse wrote ${(t.textBytes / 1e6).toFixed(0)} MB of text in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  writeFileSync(metaPath, JSON.stringify(t, null, 2) + '\n');
  return t;
}
