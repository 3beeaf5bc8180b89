/**
 * The I/O "stories" of lab/gen-big.py, event by event (mix by weight):
 *   writeback : P, (A, Q, G|M)*k, U(depth 1), D(merged), C          kworker, W / WS
 *   syncwrite : A, Q, G, P, U, D, C                                 app, WS
 *   read      : A, Q, G, P, U, D, C                                 app, R / RM
 *   readahead : A, Q, G(RA), [X split], P, UT|U, [I], D, C
 *   commit    : jbd2 commit: (A, Q WSM, G|M)*n, U, D, C, then the commit block
 *               Q FWFSM, G, D FN, C FN, I WSM, D WSM, C WSM, D FN, C FN, C WSM (0 bytes)
 *   flush     : Q FWS (0 bytes), G, D FN, C FN, C WS (sector 0, 0 bytes)
 *   discard   : A, Q DS, G, P, UT, I, D, C
 *   requeue   : A, Q, G, D, R, I, D, C                              rare
 * "A" (remap from the partition <dev>1) precedes every bio unless partition=false.
 * Action codes and category bits are those of the real 6.18 captures.
 */
import { Rng } from './prng.js';
import { Pdu, TA, TC } from './records.js';
import type { TraceWriter } from './gen.js';

const { Q, M, G, RQ, D, C, P, U, UT, I, X, A } = TA;

export class Stories {
  readonly comm = new Map<number, string>();
  private readonly rnd: Rng;
  private readonly apps: number[] = [];
  private readonly kworkers: number[] = [];
  private readonly jbd2 = 300;
  private readonly partOff: number;
  private nextSector = 1 << 20;
  private readonly rngMax = 2 ** 30; // 512 GiB disk
  private t = 1_000_000_000_000; // ~1000 s of uptime, like a real CLOCK_MONOTONIC
  private w!: TraceWriter;

  constructor(seed: number, private readonly ncpu: number, dev: string, private readonly partition: boolean) {
    this.rnd = new Rng(seed);
    this.partOff = partition ? 2048 : 0;
    ['postgres', 'postgres', 'postgres', 'fio', 'dd', 'rsync', 'java', 'sqlite3'].forEach((name, i) => {
      this.apps.push(2000 + i);
      this.comm.set(2000 + i, name);
    });
    for (let c = 0; c < ncpu; c++) {
      this.comm.set(100 + c, `kworker/${c}:1H`);
      this.comm.set(200 + c, `kworker/u${2 * ncpu}:${c}`);
      this.kworkers.push(200 + c);
    }
    this.comm.set(this.jbd2, `jbd2/${dev}1-8`.slice(0, 15));
  }

  /** Writes stories until at least `target` event records are out, then drains. */
  run(w: TraceWriter, target: number): void {
    this.w = w;
    const r = this.rnd;
    w.timestampNote(this.t, 1_700_000_000_000_000_000);
    const stories: Array<[number, (t: number, c: number) => void]> = [
      [30, (t, c) => this.writeback(t, c)],
      [15, (t, c) => this.simple(t, c, r.choice(this.apps), TC.W | TC.S, 8 * r.choice([1, 1, 2, 4, 16]), 60)],
      [20, (t, c) => this.simple(t, c, r.choice(this.apps), TC.R, 8 * r.choice([1, 1, 2, 8]), 120)],
      [3, (t, c) => this.simple(t, c, r.choice(this.apps), TC.R | TC.M, 8, 120)],
      [12, (t, c) => this.simple(t, c, r.choice(this.apps), TC.R | TC.AH, r.choice([64, 256, 512]), 200, true)],
      [8, (t, c) => this.commit(t, c)],
      [6, (t, c) => this.flush(t, c)],
      [1, (t, c) => this.discard(t, c)],
      [0.2, (t, c) => this.requeue(t, c)],
    ];
    const cumulative: number[] = [];
    let sum = 0;
    for (const [weight] of stories) cumulative.push((sum += weight));
    while (w.n < target) {
      this.t += Math.floor(r.expovariate(1 / 50000)); // ~20k stories/s offered
      w.drain(this.t);
      const cpu = r.randrange(0, this.ncpu);
      stories[r.weighted(cumulative)]![1](this.t, cpu);
    }
  }

  private lat(meanUs: number): number {
    return Math.floor(this.rnd.lognormvariate(0, 0.6) * meanUs * 1000);
  }

  private sector(n: number): number {
    if (this.rnd.random() < 0.6) { // sequential stream
      const s = this.nextSector;
      this.nextSector = (this.nextSector + n) % this.rngMax;
      return s;
    }
    const s = this.rnd.randrange(this.partOff, this.rngMax - n);
    return s - (s % 8);
  }

  /** A record for a bio on the partition; returns the time after it. */
  private remap(t: number, cpu: number, flags: number, sector: number, nbytes: number, pid: number): number {
    if (!this.partition) return t;
    this.w.emit(t, cpu, A, flags, sector, nbytes, pid, Pdu.Remap, sector - this.partOff);
    return t + 300;
  }

  private irqCpu(cpu: number): number {
    return this.rnd.random() < 0.7 ? cpu : this.rnd.randrange(0, this.ncpu);
  }

  private simple(t: number, cpu: number, pid: number, flags: number, n: number, devUs: number, readahead = false): void {
    const e = this.w;
    const s = this.sector(n);
    const nb = n * 512;
    t = this.remap(t, cpu, flags, s, nb, pid);
    e.emit(t, cpu, Q, flags, s, nb, pid); t += 800;
    e.emit(t, cpu, G, flags, s, nb, pid); t += 400;
    if (readahead && n >= 256 && this.rnd.random() < 0.5) {
      e.emit(t, cpu, X, flags, s, nb, pid, Pdu.Be64, s + n / 2); t += 300;
    }
    e.emit(t, cpu, P, 0, 0, 0, pid); t += 200;
    const unplugTimer = readahead && this.rnd.random() < 0.05;
    e.emit(t, cpu, unplugTimer ? UT : U, 0, 0, 0, pid, Pdu.Be64, 1); t += 300;
    let pidD = pid;
    if (unplugTimer) {
      e.emit(t, cpu, I, flags, s, nb, pid); t += 2000;
      pidD = 100 + cpu;
    }
    e.emit(t, cpu, D, flags, s, nb, pidD);
    t += this.lat(devUs);
    e.emit(t, this.irqCpu(cpu), C, flags, s, nb, 0);
  }

  private writeback(t: number, cpu: number): void {
    const e = this.w;
    const pid = this.rnd.choice(this.kworkers);
    const k = this.rnd.randint(1, 32);
    const flags = this.rnd.random() < 0.7 ? TC.W : TC.W | TC.S;
    const s = this.sector(8 * k);
    e.emit(t, cpu, P, 0, 0, 0, pid); t += 300;
    for (let j = 0; j < k; j++) {
      const sj = s + 8 * j;
      t = this.remap(t, cpu, flags, sj, 4096, pid);
      e.emit(t, cpu, Q, flags, sj, 4096, pid); t += 500;
      e.emit(t, cpu, j === 0 ? G : M, flags, sj, 4096, pid); t += 400;
    }
    e.emit(t, cpu, U, 0, 0, 0, pid, Pdu.Be64, 1); t += 300;
    e.emit(t, cpu, D, flags, s, 4096 * k, pid);
    t += this.lat(80 + 10 * k);
    e.emit(t, this.irqCpu(cpu), C, flags, s, 4096 * k, 0);
  }

  private commit(t: number, cpu: number): void {
    const e = this.w;
    const pid = this.jbd2;
    const f = TC.W | TC.S | TC.M;
    const n = this.rnd.randint(1, 12);
    const s = this.sector(8 * (n + 1));
    e.emit(t, cpu, P, 0, 0, 0, pid); t += 300;
    for (let j = 0; j < n; j++) {
      const sj = s + 8 * j;
      t = this.remap(t, cpu, f, sj, 4096, pid);
      e.emit(t, cpu, Q, f, sj, 4096, pid); t += 500;
      e.emit(t, cpu, j === 0 ? G : M, f, sj, 4096, pid); t += 400;
    }
    e.emit(t, cpu, U, 0, 0, 0, pid, Pdu.Be64, 1); t += 300;
    e.emit(t, cpu, D, f, s, 4096 * n, pid);
    t += this.lat(60 + 8 * n);
    const ic = this.irqCpu(cpu);
    e.emit(t, ic, C, f, s, 4096 * n, 0); t += 20000;
    // commit block: PREFLUSH|WRITE|FUA|SYNC|META, decomposed by the flush machinery (blk-flush.c)
    const sc = s + 8 * n;
    const ff = f | TC.F | TC.FUA;
    t = this.remap(t, cpu, ff, sc, 4096, pid);
    e.emit(t, cpu, Q, ff, sc, 4096, pid); t += 600;
    e.emit(t, cpu, G, ff, sc, 4096, pid); t += 5000;
    const kw = 100 + cpu;
    e.emit(t, cpu, D, TC.F | TC.R, 0, 0, kw); t += this.lat(400);
    e.emit(t, ic, C, TC.F | TC.R, 0, 0, 0); t += 3000;
    e.emit(t, ic, I, f, sc, 4096, kw); t += 900;
    e.emit(t, ic, D, f, sc, 4096, kw); t += this.lat(40);
    e.emit(t, ic, C, f, sc, 4096, 0); t += 3000;
    e.emit(t, ic, D, TC.F | TC.R, 0, 0, kw); t += this.lat(400);
    e.emit(t, ic, C, TC.F | TC.R, 0, 0, 0); t += 1500;
    e.emit(t, ic, C, f, sc, 0, 0);
  }

  private flush(t: number, cpu: number): void {
    const e = this.w;
    const pid = this.rnd.choice(this.apps);
    const f = TC.F | TC.W | TC.S;
    e.emit(t, cpu, Q, f, 0, 0, pid); t += 2000;
    e.emit(t, cpu, G, f, 0, 0, pid); t += 5000;
    e.emit(t, cpu, D, TC.F | TC.R, 0, 0, 100 + cpu); t += this.lat(400);
    const ic = this.irqCpu(cpu);
    e.emit(t, ic, C, TC.F | TC.R, 0, 0, 0); t += 1500;
    e.emit(t, ic, C, TC.W | TC.S, 0, 0, 0);
  }

  private discard(t: number, cpu: number): void {
    const e = this.w;
    const pid = this.rnd.choice(this.apps);
    const f = TC.DI | TC.W | TC.S;
    const n = 8 * this.rnd.randint(1, 4096);
    const s = this.sector(n);
    t = this.remap(t, cpu, f, s, n * 512, pid);
    e.emit(t, cpu, Q, f, s, n * 512, pid); t += 800;
    e.emit(t, cpu, G, f, s, n * 512, pid); t += 300;
    e.emit(t, cpu, P, 0, 0, 0, pid); t += 200;
    e.emit(t, cpu, UT, 0, 0, 0, pid, Pdu.Be64, 1); t += 300;
    e.emit(t, cpu, I, f, s, n * 512, pid); t += 3000;
    e.emit(t, cpu, D, f, s, n * 512, 100 + cpu); t += this.lat(300);
    e.emit(t, this.irqCpu(cpu), C, f, s, n * 512, 0);
  }

  private requeue(t: number, cpu: number): void {
    const e = this.w;
    const pid = this.rnd.choice(this.apps);
    const f = TC.W | TC.S;
    const s = this.sector(8);
    t = this.remap(t, cpu, f, s, 4096, pid);
    e.emit(t, cpu, Q, f, s, 4096, pid); t += 800;
    e.emit(t, cpu, G, f, s, 4096, pid); t += 400;
    e.emit(t, cpu, D, f, s, 4096, pid); t += 3000;
    e.emit(t, cpu, RQ, f, s, 4096, pid); t += 1000;
    e.emit(t, cpu, I, f, s, 4096, pid); t += 50000;
    e.emit(t, cpu, D, f, s, 4096, 100 + cpu); t += this.lat(100);
    e.emit(t, this.irqCpu(cpu), C, f, s, 4096, 0);
  }
}
