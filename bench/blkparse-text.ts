/**
 * blkparse's default text for the records the generator writes — used only
 * when the real blkparse is not installed (the bench then still has text to
 * read). The real tool is preferred; test/bench.test.ts checks that both print
 * the same event lines.
 *
 * Source: blktrace blkparse_fmt.c — header "%D %2c %8s %5T.%9t %5p %2a %3d "
 * (device as "%3d,%-3d"), `fill_rwbs`, and `process_default`'s tails:
 *   Q G M F S I D B   "sector + blocks [comm]" or "[comm]" when bytes>>9 is 0
 *   C R               "sector + blocks [error]" or "sector [error]"
 *   P                 "[comm]"        U UT  "[comm] depth"
 *   A                 "sector + blocks <- (maj,min) from_sector"
 *   X                 "sector / new_sector [comm]"
 * Times are printed relative to the first (non-note) event.
 */
import { Pdu, TA, TC, type RecordFields } from './records.js';

const LETTERS: Record<number, string> = {
  [TA.Q]: 'Q', [TA.M]: 'M', [TA.F]: 'F', [TA.G]: 'G', [TA.S]: 'S', [TA.RQ]: 'R', [TA.D]: 'D', [TA.C]: 'C',
  [TA.P]: 'P', [TA.U]: 'U', [TA.UT]: 'UT', [TA.I]: 'I', [TA.X]: 'X', [TA.B]: 'B', [TA.A]: 'A',
};

function pad(s: string | number, width: number): string {
  const t = String(s);
  return t.length >= width ? t : ' '.repeat(width - t.length) + t;
}

function padRight(s: string | number, width: number): string {
  const t = String(s);
  return t.length >= width ? t : t + ' '.repeat(width - t.length);
}

/** blkparse_fmt.c fill_rwbs: [F] (D|W|R|N) [F] [A] [S] [M]. */
export function fillRwbs(action: number, bytes: number): string {
  const tc = action >>> 16;
  let s = '';
  if (tc & TC.F) s += 'F';
  if (tc & TC.DI) s += 'D';
  else if (tc & TC.W) s += 'W';
  else if (bytes) s += 'R';
  else s += 'N';
  if (tc & TC.FUA) s += 'F';
  if (tc & TC.AH) s += 'A';
  if (tc & TC.S) s += 'S';
  if (tc & TC.M) s += 'M';
  return s;
}

const MINOR_BITS = 20;
const devText = (dev: number): string =>
  `${pad(Math.floor(dev / (1 << MINOR_BITS)), 3)},${padRight(dev & ((1 << MINOR_BITS) - 1), 3)}`;
const shortDev = (dev: number): string => `${Math.floor(dev / (1 << MINOR_BITS))},${dev & ((1 << MINOR_BITS) - 1)}`;

export class BlkparseTextFormatter {
  private genesis = -1;
  private readonly comms = new Map<number, string>();

  /** A BLK_TN_PROCESS note: remember the name (blkparse's add_ppm_hash). */
  process(pid: number, comm: string): void {
    this.comms.set(pid, comm.slice(0, 15));
  }

  /** The text line (with "\n") for one non-note record. */
  line(r: RecordFields): string {
    if (this.genesis < 0) this.genesis = r.time;
    const rel = r.time - this.genesis;
    const sec = Math.floor(rel / 1e9);
    const ns = rel - sec * 1e9;
    const a = r.action & 0xffff;
    const head = `${devText(r.dev)} ${pad(r.cpu, 2)} ${pad(r.seq, 8)} ${pad(sec, 5)}.${String(ns).padStart(9, '0')} ` +
      `${pad(r.pid, 5)} ${pad(LETTERS[a] ?? '?', 2)} ${pad(fillRwbs(r.action, r.bytes), 3)} `;
    const blocks = Math.floor(r.bytes / 512);
    const comm = `[${this.comms.get(r.pid) ?? '(null)'}]`;
    switch (a) {
      case TA.C:
      case TA.RQ: {
        const err = r.error & 0xffff;
        return blocks ? `${head}${r.sector} + ${blocks} [${err}]\n` : `${head}${r.sector} [${err}]\n`;
      }
      case TA.P:
        return `${head}${comm}\n`;
      case TA.U:
      case TA.UT:
        return `${head}${comm} ${r.pduKind === Pdu.Be64 ? r.pduValue : 0}\n`;
      case TA.A:
        return `${head}${r.sector} + ${blocks} <- (${shortDev(r.pduDev)}) ${r.pduValue}\n`;
      case TA.X:
        return `${head}${r.sector} / ${r.pduValue} ${comm}\n`;
      default:
        return blocks ? `${head}${r.sector} + ${blocks} ${comm}\n` : `${head}${comm}\n`;
    }
  }
}
