/**
 * The differences the blk tracer's texts and the block tracepoints are forced
 * to show against blkparse's text of the same recording, each with its reason.
 * Shared by the corpus sweep (tracepoint-corpus.test.ts) and the fixture
 * copies (vm-stack md0), so both apply exactly the same list. Each helper
 * asserts; `seen` counts how often each difference occurred, so a test can
 * require that none is a dead entry.
 */
import assert from 'node:assert/strict';
import { Act, type BlockEvent } from '../../src/model/event.js';
import { Op } from '../../src/model/rwbs.js';

export interface Seen {
  usTimes: number;
  noPlug: number;
  emptyBioSector: number;
  emptyBioParentSector: number;
  flushIssueSector: number;
  writeZeroes: number;
  ioStart: number;
  splitBytes: number;
  cgroupMessage: number;
}

export const newSeen = (): Seen => ({
  usTimes: 0, noPlug: 0, emptyBioSector: 0, emptyBioParentSector: 0, flushIssueSector: 0,
  writeZeroes: 0, ioStart: 0, splitBytes: 0, cgroupMessage: 0,
});

const REQUEST_ACTS = new Set<number>([Act.Queue, Act.GetRq, Act.Insert, Act.Issue, Act.Complete, Act.BackMerge, Act.FrontMerge, Act.Remap, Act.Split, Act.Requeue]);
const PLUGS = new Set<number>([Act.Plug, Act.Unplug, Act.UnplugTimer]);

/**
 * blk_classic is blkparse's record without the sequence column: identical
 * events in the same order per device, absolute trace clock in ns (blkparse:
 * since its first event). `classic` must already be without the messages
 * blkparse 1.2.0 does not print (blktrace-helpers `withoutMessages`).
 */
export function assertClassicEqualsBlkparse(label: string, bp: BlockEvent[], classic: BlockEvent[], seen: Seen): void {
  const byDev = (evs: BlockEvent[]) => [...evs].sort((a, b) => a.dev - b.dev); // stable: per-device order kept
  const a = byDev(bp);
  const c = byDev(classic);
  assert.equal(c.length, a.length, label);
  const offsets = new Map<number, number>();
  c.forEach((e, i) => {
    const b = a[i]!;
    assert.deepEqual([e.dev, e.act, e.op, e.flags, e.sector, e.pid, e.cpu, e.error, e.aux, e.auxDev, e.text], [b.dev, b.act, b.op, b.flags, b.sector, b.pid, b.cpu, b.error, b.aux, b.auxDev, b.text], `${label} classic ${e.loc}`);
    // (1) the blkparse reader writes 0 for a split's unprinted size; these readers write -1 (unknown)
    if (e.act === Act.Split) {
      assert.deepEqual([e.bytes, b.bytes], [-1, 0]);
      seen.splitBytes++;
    } else {
      assert.equal(e.bytes, b.bytes);
    }
    const off = offsets.get(e.dev) ?? offsets.set(e.dev, e.time - b.time).get(e.dev)!;
    assert.equal(e.time - off, b.time, `${label} classic ${e.loc} time`);
  });
}

/** (2) the default rendering prints µs (trace_print_context → ns2usecs, rounded): a forced precision loss. */
export function assertDefaultIsClassicInMicroseconds(def: BlockEvent[], classic: BlockEvent[], seen: Seen): void {
  assert.equal(def.length, classic.length);
  def.forEach((e, i) => {
    assert.equal(e.time, Math.floor((classic[i]!.time + 500) / 1000) * 1000);
    if (e.time !== classic[i]!.time) seen.usTimes++;
  });
}

/**
 * The request events of the tracepoint text and of blkparse are the same
 * multiset once (1) and (3)–(6) are accounted for; returns what still
 * differs ([key, blkparse count − tracepoint count]), [] when nothing does.
 */
export function tracepointDifferences(bp: BlockEvent[], tp: BlockEvent[], seen: Seen): Array<[string, number]> {
  // (3) the corpus enabled events/block without block_plug/unplug (they name no device anyway)
  assert.equal(tp.filter((e) => PLUGS.has(e.act)).length, 0);
  seen.noPlug += bp.filter((e) => PLUGS.has(e.act)).length;
  // (4) block_io_start has no blktrace counterpart (IS); block_io_done is not emitted
  seen.ioStart += tp.filter((e) => e.act === Act.IoStart).length;
  const key = (e: BlockEvent, fromTp: boolean) => {
    let { op, sector, bytes } = e;
    if (fromTp) {
      // (5) write-zeroes: blk_fill_rwbs prints NS (no WRITE_ZEROES case before 6.19), fill_rwbs prints WS
      if (op === Op.WriteZeroes) {
        op = Op.Write;
        seen.writeZeroes++;
      }
      // (6) tracepoints print the sector of every zero-size bio and of the flush request's issue
      //     ("FWS 0 + 0", "FF 0 () 0 + 0"); blkparse prints none ("Q FWS [comm]", "D FN [comm]"):
      //     blkparse_fmt.c `process_default` prints a sector for Q/D/I/B/M/F/G/S only when
      //     `t_sec(t)` (bytes >> 9) is not 0; C, R, A and X always print one. The sector is 0 for
      //     a flush a filesystem submits, and the parent's sector for the empty PREFLUSH bio a
      //     stacked driver passes on (md0 of the guest stack: "block_bio_queue: 9,0 FWFSM 34836 + 0"
      //     after "A FWFSM 34836 + 0 <- (252,0) 32788"; blkparse: "Q FWFSM [jbd2/dm-0-8]").
      if (bytes === 0 && e.act !== Act.Complete && e.act !== Act.Requeue && e.act !== Act.Remap && e.act !== Act.Split) {
        if (op === Op.Flush) seen.flushIssueSector++;
        else if (sector === 0) seen.emptyBioSector++;
        else seen.emptyBioParentSector++;
        sector = -1;
      }
      if (e.act === Act.Split) bytes = 0; // (1)
    }
    return [e.dev, e.act, op, e.flags, sector, bytes, e.error, e.aux, e.auxDev].join(' ');
  };
  const m = new Map<string, number>();
  for (const e of bp) if (REQUEST_ACTS.has(e.act)) m.set(key(e, false), (m.get(key(e, false)) ?? 0) + 1);
  for (const e of tp) if (REQUEST_ACTS.has(e.act)) m.set(key(e, true), (m.get(key(e, true)) ?? 0) - 1);
  return [...m].filter(([, n]) => n !== 0);
}
