/**
 * A small seeded pseudo-random generator (sfc32) with the few distributions
 * the trace generator needs — the same ones lab/gen-big.py takes from Python's
 * `random` (random, randrange, randint, choice, choices, expovariate,
 * lognormvariate). Same seed, same trace, on every machine.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next32();
  }

  /** Uniform 32-bit unsigned integer. */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.next32() >>> 5;
    const lo = this.next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Integer in [lo, hi). */
  randrange(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo));
  }

  /** Integer in [lo, hi] (both ends included, like Python's randint). */
  randint(lo: number, hi: number): number {
    return this.randrange(lo, hi + 1);
  }

  choice<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** Index drawn with the given cumulative weights (last entry = total). */
  weighted(cumulative: readonly number[]): number {
    const x = this.random() * cumulative[cumulative.length - 1]!;
    let i = 0;
    while (i < cumulative.length - 1 && x >= cumulative[i]!) i++;
    return i;
  }

  /** Exponential with rate `lambda` (mean 1/lambda). */
  expovariate(lambda: number): number {
    return -Math.log(1 - this.random()) / lambda;
  }

  /** Standard normal (Box–Muller, the spare value kept for the next call). */
  gauss(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  lognormvariate(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.gauss());
  }
}
