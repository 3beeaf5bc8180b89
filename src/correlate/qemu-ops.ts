/**
 * A QEMU layer as correlation sees it: two faces of one process, on one clock.
 *
 *  - front: what QEMU promised its user (virtio-blk requests, or BlockBackend
 *    requests for qemu-io): writes, flushes, FUA/write-through writes;
 *  - back: what it asked of the host (thread-pool / io_uring / paio jobs).
 *
 * The rebuild links each front request to the jobs it caused, so the pair
 * (front, back) needs no matching and no clock alignment; the pair (back,
 * host block layer) does. Tables hold every QEMU device; `select` keeps one.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { QemuEvent, QemuSink } from '../qemu/event.js';
import { CacheModeTracker, type CacheModeInference } from '../qemu/cache-mode.js';
import { QemuRebuilder, type RebuildSummary } from '../qemu/rebuild.js';
import { isDeviceModel, type FrontRequest, type HostJob, type RebuildSink, type Stamp } from '../qemu/records.js';
import { Links } from './links.js';
import { OpFlag, OpKind, OpTable } from './ops.js';
import { noteDurability, QuietLog } from './quiet.js';
import { rowSpan, type RowSpan, type SpilledInts, type SpilledRows, type SpillFile } from './spill.js';

export interface QemuDeviceView {
  device: string;
  front: OpTable;
  back: OpTable;
  /** front row → back rows it caused (data, FUA-emulation flush, virtio flush). */
  links: Links;
  cache: CacheModeInference;
  writes: number;
  /**
   * Back row → the protocol node its job went to (an index; -1 for rows that are no write), set only when the
   * device's host writes went to more than one protocol node: a block job moved the drive to another image
   * (blockdev-mirror completed, block-commit, a snapshot), or a driver writes several files (quorum, an
   * external data file, split VMDK extents). graph.ts fits each node's writes on its own.
   */
  writeNodes?: Int32Array;
  /**
   * Back row → the protocol node of a read on a node the device never writes (-1 for other rows), set only when
   * it has such reads and writes elsewhere: a backing image under an overlay (qcow2 backing file, block-stream's
   * base) is only read. The host device holding that node is not the one its writes go to (graph.ts unmapped).
   */
  readOnlyNodes?: Int32Array;
  /** No guest device's: a BlockBackend of its own (a block job's, qemu-io) or a node only a block job writes. */
  ownIo?: true;
}

/**
 * The rows of a QEMU process not yet built into device views: front and back tables, each front row's job ids,
 * each back row's protocol node, and the back rows typed by the event before them. A piece of a long trace
 * (spilled, segments.ts) or the whole of a short one.
 */
export class QemuRows {
  readonly front: OpTable;
  readonly back: OpTable;
  /**
   * Front rows with host jobs, in the order they came, and their job ids (`jobIds[jobStart[k] …
   * jobStart[k + 1])`): columns, not an array per request kept for the whole trace.
   */
  readonly frontsWithJobs = new IntColumn();
  readonly jobStart = new IntColumn();
  readonly jobIds = new IntColumn();
  /** back row → index of its protocol node in the builder's `nodes` (-1 none). */
  readonly jobNode = new IntColumn();
  /** Back rows whose read/write kind was taken from the bdrv event before them (aio=threads reasoning), in row order. */
  readonly guessed = new IntColumn();

  constructor(layer: string, orderOnly: boolean, cap = 256) {
    this.front = new OpTable(layer, '', 'qemu-front', orderOnly, cap);
    this.back = new OpTable(layer, '', 'qemu-back', orderOnly, cap);
  }

  /** The protocol node index of back row `r` (-1 none). */
  nodeOf(r: number): number {
    return r < this.jobNode.n ? this.jobNode.a[r]! : -1;
  }

  jobsEnd(k: number): number {
    return k + 1 < this.jobStart.n ? this.jobStart.a[k + 1]! : this.jobIds.n;
  }

  /** Appends `o`'s rows (a later piece of the same process) after these. */
  append(o: QemuRows): void {
    const fo = this.front.n;
    const bo = this.back.n;
    const jo = this.jobIds.n;
    for (let i = 0; i < o.front.n; i++) this.front.copyRow(o.front, i);
    for (let i = 0; i < o.back.n; i++) this.back.copyRow(o.back, i);
    for (let k = 0; k < o.frontsWithJobs.n; k++) {
      this.frontsWithJobs.push(o.frontsWithJobs.a[k]! + fo);
      this.jobStart.push(o.jobStart.a[k]! + jo);
    }
    for (let x = 0; x < o.jobIds.n; x++) this.jobIds.push(o.jobIds.a[x]!);
    for (let r = 0; r < o.jobNode.n; r++) this.jobNode.push(o.jobNode.a[r]!);
    for (let k = 0; k < o.guessed.n; k++) this.guessed.push(o.guessed.a[k]! + bo);
  }

  /**
   * Splits at `t` (the process clock): the rows issued before it stay here, the rest go to `rest` (emptied
   * first: a segment's rows no longer wanted, reused) and it is returned. Only at a quiet instant (nothing
   * in flight), where a request and its jobs are on one side.
   */
  splitAt(t: number, rest = new QemuRows(this.front.layer, this.front.orderOnly, 16)): QemuRows {
    rest.reset();
    const fMap = keepBefore(this.front, rest.front, t);
    const bMap = keepBefore(this.back, rest.back, t);
    // the entries kept are moved down in place (one is never written past the next one read), the others to rest
    let kept = 0;
    let ids = 0;
    for (let k = 0; k < this.frontsWithJobs.n; k++) {
      const r = fMap[this.frontsWithJobs.a[k]!]!;
      const from = this.jobStart.a[k]!;
      const end = this.jobsEnd(k);
      if (r >= 0) {
        this.frontsWithJobs.a[kept] = r;
        this.jobStart.a[kept++] = ids;
        for (let x = from; x < end; x++) this.jobIds.a[ids++] = this.jobIds.a[x]!;
      } else {
        rest.frontsWithJobs.push(-r - 1);
        rest.jobStart.push(rest.jobIds.n);
        for (let x = from; x < end; x++) rest.jobIds.push(this.jobIds.a[x]!);
      }
    }
    this.frontsWithJobs.n = kept;
    this.jobStart.n = kept;
    this.jobIds.n = ids;
    let nodes = 0;
    for (let r = 0; r < this.jobNode.n; r++) {
      if (bMap[r]! >= 0) this.jobNode.a[nodes++] = this.jobNode.a[r]!;
      else rest.jobNode.push(this.jobNode.a[r]!);
    }
    this.jobNode.n = nodes;
    let guessed = 0;
    for (let k = 0; k < this.guessed.n; k++) {
      const r = bMap[this.guessed.a[k]!]!;
      if (r >= 0) this.guessed.a[guessed++] = r;
      else rest.guessed.push(-r - 1);
    }
    this.guessed.n = guessed;
    return rest;
  }

  /** No rows, as a new QemuRows (its columns kept for the next ones). */
  reset(): void {
    this.front.reset();
    this.back.reset();
    this.frontsWithJobs.n = 0;
    this.jobStart.n = 0;
    this.jobIds.n = 0;
    this.jobNode.n = 0;
    this.guessed.n = 0;
  }
}

/**
 * Moves the rows of `t` issued at or after `at` to `rest` (in order), keeping the others in place; returns
 * old row → new row here (>= 0) or -(row in rest) - 1.
 */
export function keepBefore(t: OpTable, rest: OpTable, at: number): Int32Array {
  const map = new Int32Array(t.n);
  let kept = 0;
  for (let i = 0; i < t.n; i++) {
    if (t.tI[i]! < at) {
      if (kept !== i) t.setRow(kept, t, i);
      map[i] = kept++;
    } else map[i] = -rest.copyRow(t, i) - 1;
  }
  t.n = kept;
  return map;
}

export class QemuOpsBuilder implements RebuildSink, QemuSink {
  private rows: QemuRows | undefined;
  /** job id → back row (of `rows`). */
  private readonly jobRow = new Map<number, number>();
  private readonly nodes: string[] = [];
  private readonly nodeIndex = new Map<string, number>();
  private readonly devIndex = new Map<string, number>();
  private readonly devNames: string[] = [];
  private readonly trackers = new Map<string, CacheModeTracker>();
  private readonly rebuilder: QemuRebuilder;
  private orderOnly = false;
  summary: RebuildSummary | undefined;
  /** Streaming (segments.ts): quiet spans of the process, and where its rows went when it fell quiet. */
  private stream: { quiet: QuietLog; spill: SpillFile; rows: number; pieces: QemuPiece[]; scanned: { front: number; back: number } } | undefined;
  private streamAsked: { spill: SpillFile; rows: number } | undefined;

  constructor(private readonly layer: string, diag?: Diagnostics, sourceName = '') {
    this.rebuilder = new QemuRebuilder(this, diag, sourceName);
  }

  /** Rows written out as the trace was read. */
  spilledRows(): number {
    let n = 0;
    for (const p of this.stream?.pieces ?? []) n += p.front.n + p.back.n;
    return n;
  }

  /** Write rows to `spill` whenever the process falls quiet with enough of them (a timed trace only). */
  streamTo(spill: SpillFile, rows: number): void {
    this.streamAsked = { spill, rows };
  }

  qemu(e: QemuEvent): void {
    this.families |= family(e.kind);
    if (!this.rows) {
      this.orderOnly = e.time < 0;
      this.rows = new QemuRows(this.layer, this.orderOnly);
      if (this.streamAsked && !this.orderOnly) this.stream = { quiet: new QuietLog(), ...this.streamAsked, pieces: [], scanned: { front: 0, back: 0 } };
    }
    this.rebuilder.qemu(e);
    const st = this.stream;
    if (st) {
      if (!this.rebuilder.idle()) st.quiet.busy(e.time);
      else if (!st.quiet.quietNow) this.fallQuiet(st, e.time);
    }
  }

  private fallQuietRows(st: NonNullable<QemuOpsBuilder['stream']>): void {
    const { front, back } = this.rows!;
    for (let i = st.scanned.front; i < front.n; i++) noteDurability(st.quiet, front, i, front.tag[i]!);
    for (let i = st.scanned.back; i < back.n; i++) noteDurability(st.quiet, back, i, NODE_KEY + this.rows!.jobNode.a[i]!);
    st.scanned.front = front.n;
    st.scanned.back = back.n;
  }

  private fallQuiet(st: NonNullable<QemuOpsBuilder['stream']>, t: number): void {
    this.fallQuietRows(st);
    st.quiet.quiet(t);
    const r = this.rows!;
    if (r.front.n + r.back.n < st.rows || !st.spill.ready()) return;
    this.writeOut(st);
    st.scanned.front = 0;
    st.scanned.back = 0;
  }

  /** The rows since the last piece become a piece in the spill file, and leave memory. */
  private writeOut(st: NonNullable<QemuOpsBuilder['stream']>): void {
    const r = this.rows!;
    st.pieces.push({ front: st.spill.write(r.front), back: st.spill.write(r.back), ints: st.spill.writeInts(r), span: spanOf(r) });
    r.reset();
    this.jobRow.clear();
  }

  private clock(s: Stamp): number {
    if (s.seq < 0) return NaN;
    return this.orderOnly ? s.seq : s.time;
  }

  private tagOf(dev: string): number {
    let i = this.devIndex.get(dev);
    if (i === undefined) {
      i = this.devNames.length;
      this.devNames.push(dev);
      this.devIndex.set(dev, i);
    }
    return i;
  }

  private tracker(dev: string): CacheModeTracker {
    let t = this.trackers.get(dev);
    if (!t) {
      t = new CacheModeTracker();
      this.trackers.set(dev, t);
    }
    return t;
  }

  front(r: FrontRequest): void {
    const rows = this.rows!;
    const t = rows.front;
    const kind = r.kind === 'read' ? OpKind.Read : r.kind === 'flush' ? OpKind.Flush
      : r.kind === 'write' || r.kind === 'write-zeroes' ? OpKind.Write : OpKind.Unknown;
    let flags = 0;
    if (kind === OpKind.Write && (r.fuaAsked || r.fuaFormat)) flags |= OpFlag.FUA;
    if (kind === OpKind.Write && r.fuaFormat && !r.fuaAsked) flags |= OpFlag.WT;
    if (r.kind === 'write-zeroes') flags |= OpFlag.ZEROES;
    if (r.completeHow === 'last host job') flags |= OpFlag.ACK_INFERRED;
    const row = t.add(kind, kind === OpKind.Flush ? -1 : r.sector, Math.max(0, r.nsectors), this.clock(r.issue), r.issue.loc, r.source, flags, r.id);
    if (row < 0) return;
    if (r.complete.seq >= 0) t.complete(row, this.clock(r.complete), r.complete.loc, r.status === 0 || (r.iface === 'blk' && r.status >= 0));
    t.tag[row] = this.tagOf(r.device);
    if (r.jobs.length > 0) {
      rows.frontsWithJobs.push(row);
      rows.jobStart.push(rows.jobIds.n);
      for (const id of r.jobs) rows.jobIds.push(id);
    }
    this.tracker(r.device).front(r);
  }

  job(j: HostJob): void {
    const rows = this.rows!;
    const t = rows.back;
    const kind = j.kind === 'read' ? OpKind.Read : j.kind === 'flush' ? OpKind.Flush
      : j.kind === 'write' || j.kind === 'write-zeroes' ? OpKind.Write : j.kind === 'discard' ? OpKind.Discard : OpKind.Unknown;
    let flags = 0;
    if (j.kind === 'write-zeroes') flags |= OpFlag.ZEROES;
    if (kind === OpKind.Write && j.flags >= 0 && (j.flags & 0x10) !== 0) flags |= OpFlag.FUA;
    const sector = j.offset >= 0 ? j.offset / 512 : -1;
    const count = j.bytes >= 0 ? j.bytes / 512 : 0;
    const row = t.add(kind, sector, count, this.clock(j.submit), j.submit.loc, j.source, flags, j.id);
    if (row < 0) return;
    if (j.complete.seq >= 0) t.complete(row, this.clock(j.complete), j.complete.loc, !(j.ret < 0));
    // The device is known once the front request that caused it completes (after the job): set in finish().
    t.tag[row] = -1;
    this.jobRow.set(j.id, row);
    if (j.kindHow === 'bdrv event before it' && (kind === OpKind.Read || kind === OpKind.Write) && !(flags & OpFlag.ZEROES)) rows.guessed.push(row);
    let ni = -1;
    if (j.node) {
      ni = this.nodeIndex.get(j.node) ?? -1;
      if (ni < 0) {
        ni = this.nodes.length;
        this.nodes.push(j.node);
        this.nodeIndex.set(j.node, ni);
      }
    }
    rows.jobNode.push(ni);
  }

  /**
   * On a protocol node whose data I/O left no job (aio=native), a job after a data event is of unknown
   * kind: a flush, write-zeroes or discard as likely as that data (QEMU 7.2 types none of them).
   */
  private untypeUntraced(rows: QemuRows): void {
    const untraced = new Set(this.summary?.untracedDataNodes ?? []);
    if (untraced.size === 0) return;
    const back = rows.back;
    for (let k = 0; k < rows.guessed.n; k++) {
      const r = rows.guessed.a[k]!;
      const ni = rows.jobNode.a[r] ?? -1;
      if (ni < 0 || !untraced.has(this.nodes[ni]!)) continue;
      back.kind[r] = OpKind.Unknown;
      back.sector[r] = -1;
      back.count[r] = 0;
    }
  }

  /**
   * Tag every job with its device: through the front request that caused it, else its protocol node.
   * `canonical` names a probing BlockBackend by the device that uses its blk (see finish): the image's
   * protocol node is read by both, and is still one device's node (a qcow2 flush's metadata writes and
   * flush jobs, linked to no request, are tagged through it). `feed`: tell each device's cache-mode tracker
   * the kind of its jobs (once per row of the trace).
   */
  private tagJobs(rows: QemuRows, jobRow: ReadonlyMap<number, number>, canonical: (name: string) => string, feed: boolean): void {
    const back = rows.back;
    for (let k = 0; k < rows.frontsWithJobs.n; k++) {
      const tag = rows.front.tag[rows.frontsWithJobs.a[k]!]!;
      for (let x = rows.jobStart.a[k]!, end = rows.jobsEnd(k); x < end; x++) {
        const r = jobRow.get(rows.jobIds.a[x]!);
        if (r !== undefined && back.tag[r] === -1) back.tag[r] = tag;
      }
    }
    const nodeDev = new Map<string, string | null>();
    for (const d of this.summary?.devices ?? []) {
      const dev = canonical(d.device);
      for (const n of d.protocol) nodeDev.set(n, nodeDev.has(n) && nodeDev.get(n) !== dev ? null : dev);
    }
    for (let r = 0; r < back.n; r++) {
      const ni = rows.jobNode.a[r] ?? -1;
      if (back.tag[r] === -1 && ni >= 0) {
        const d = nodeDev.get(this.nodes[ni]!);
        if (d) back.tag[r] = this.tagOf(d);
      }
      if (back.tag[r] === -1) back.tag[r] = this.tagOf('');
      const dev = this.devNames[back.tag[r]!];
      if (dev && feed) this.tracker(dev).jobKind(back.kind[r]! === OpKind.Flush ? 'flush' : back.kind[r]! === OpKind.Write ? 'write' : 'other');
    }
  }

  private views: QemuDeviceView[] | undefined;
  /** The pieces, once made (pieces()). */
  private made: QemuPieces | undefined;
  /** Event families seen in the trace (FAMILY bits): a family never seen was not traced, or never ran. */
  private families = 0;

  /** Finish the rebuild; returns every device that had requests, busiest (writes) first (made once). */
  finish(): QemuDeviceView[] {
    if (!this.views && this.stream && this.stream.pieces.length > 0) {
      // written out as it was read, but wanted whole (segments.ts found no cut): read back into one table
      const all = this.pieces()!;
      const rows = new QemuRows(this.layer, false);
      const scratch = new QemuRows(this.layer, false, 16);
      for (const p of all.pieces) rows.append(all.load(p, scratch));
      this.views = this.build(rows, jobRowsOf(rows.back), false);
    }
    this.views ??= this.end() ? [] : this.build(this.rows!, this.jobRow, true);
    // the whole-process tables and the job maps are in the views now (copied when there are several
    // devices): a long trace's hundreds of thousands of rows are not kept twice
    this.rows = undefined;
    this.jobRow.clear();
    return this.views;
  }

  /** The rebuild ends (once): true when nothing was read. */
  private end(): boolean {
    if (this.summary) return !this.rows;
    this.summary = this.rebuilder.end();
    const st = this.stream;
    if (st && this.rows) {
      // the rows after its last quiet instant (and those emitted at the end): their flushes count for the cuts before them
      this.fallQuietRows(st);
      st.quiet.end();
    }
    return !this.rows;
  }

  /**
   * Streaming: the process' rows in pieces (spilled, then those still here), the quiet spans, and a way to
   * build device views of any run of them. Undefined when the trace is not streamed (untimed, or not asked).
   */
  pieces(): QemuPieces | undefined {
    const st = this.stream;
    if (!st) return undefined;
    // made once: its pass below tells every job to the cache-mode trackers, and a trace correlated whole after
    // all (finish) asks again — told twice, "N host flush job(s) seen" said 2N
    if (this.made) return this.made;
    this.end();
    // what is left after the last spill is the last piece (read back like the others)
    if (this.rows && this.rows.front.n + this.rows.back.n > 0) this.writeOut(st);
    this.jobRow.clear();
    const load = (p: QemuPiece, r: QemuRows): QemuRows => {
      r.reset();
      st.spill.readInto(p.front, r.front);
      st.spill.readInto(p.back, r.back);
      st.spill.readInts(p.ints, r);
      return r;
    };
    // every job's kind told to its device's cache-mode tracker before any device view infers a cache mode;
    // each device's writes counted over the whole trace (which is the main one)
    const writes = new Map<string, number>();
    const scratch = new QemuRows(this.layer, false, 16);
    for (const p of st.pieces) {
      const r = load(p, scratch);
      this.untypeUntraced(r);
      this.tagJobs(r, jobRowsOf(r.back), (n) => this.canonical(n), true);
      for (let i = 0; i < r.front.n; i++) {
        if (r.front.kind[i] !== OpKind.Write) continue;
        const dev = this.canonical(this.devNames[r.front.tag[i]!] ?? '');
        if (dev !== '') writes.set(dev, (writes.get(dev) ?? 0) + 1);
      }
    }
    const ranked = [...writes].sort((a, b) => b[1] - a[1]);
    const main = ranked[0];
    this.made = {
      main: main?.[0],
      rival: ranked.slice(1).some(([, w]) => w > 0 && w * 10 >= (main?.[1] ?? 0)),
      quiet: st.quiet,
      pieces: st.pieces,
      load,
      views: (r: QemuRows) => this.build(r, jobRowsOf(r.back), false),
      summary: this.summary,
    };
    return this.made;
  }

  /** Host jobs the trace cannot show: see unobservedJobs. */
  private canonical(name: string): string {
    const alias = this.aliases();
    return alias.get(name) ?? name;
  }

  private aliasCache: Map<string, string> | undefined;

  /** BlockBackend requests seen before the device model used that blk (probing) belong to the device. */
  private aliases(): Map<string, string> {
    if (this.aliasCache) return this.aliasCache;
    const alias = new Map<string, string>();
    for (const d of this.summary?.devices ?? []) {
      if (!isDeviceModel(d.iface)) continue;
      for (const b of d.blk) alias.set(`blk:${b}`, d.device);
    }
    if (this.summary) this.aliasCache = alias;
    return alias;
  }

  /**
   * Host jobs the trace cannot show. With no job event at all, thread_pool_*, luring_* and laio_* were not
   * traced (or nothing ran through them: aio=native data with cache=unsafe); with no bdrv_co_* or blk_co_*
   * event, no job can be typed (QEMU 7.2's thread-pool events carry no type: the rebuild types a job by the
   * block-layer event before it), so flush jobs cannot be told from data jobs.
   */
  private unobservedJobs(): string | undefined {
    if ((this.families & FAMILY.jobs) === 0) return 'no host job event in the trace (thread_pool_*, luring_*, laio_* not traced, or none ran)';
    if ((this.families & (FAMILY.blk | FAMILY.bdrv)) === 0) return 'its host jobs cannot be typed: no blk_co_* or bdrv_co_* event in the trace';
    return undefined;
  }

  /**
   * A SCSI or NVMe device name that stands for several drives: QEMU 7.2 traces a SCSI command's target and LUN
   * (scsi_req_parsed; without it, scsi_disk_new_request's LUN only) but not its HBA, and an NVMe command's
   * namespace but not its controller, so two HBAs with a disk at target 0 LUN 0 (or two controllers' namespace 1)
   * are one name, and a flush command cannot be given to either.
   * Seen when the name's data went to more than one BlockBackend: its promises are then not decided.
   */
  private sharedModelName(name: string): string | undefined {
    if (!name.startsWith('scsi:') && !name.startsWith('nvme:')) return undefined;
    const model = name.startsWith('scsi:') ? 'scsi' : 'nvme';
    if (this.summary?.modelsWithoutCompletions.includes(model)) {
      return model === 'scsi'
        ? 'its SCSI commands have no completion in this trace (no virtio_scsi_cmd_resp: virtio_scsi_* not traced, or an HBA other than virtio-scsi), so what it acknowledged cannot be told'
        : 'its NVMe commands have no completion in this trace (no pci_nvme_enqueue_req_completion), so what it acknowledged cannot be told';
    }
    const d = this.summary?.devices.find((x) => x.device === name);
    if (!d || d.blk.length <= 1) return undefined;
    return `${d.blk.length} drives (BlockBackends ${d.blk.join(', ')}) answer to ${name}: QEMU 7.2 traces a SCSI command's target and LUN (the LUN only without scsi_req_parsed) but not its HBA, an NVMe command's namespace but not its controller, so its flush commands cannot be given to one of them`;
  }

  private build(rows: QemuRows, jobRow: ReadonlyMap<number, number>, feed: boolean): QemuDeviceView[] {
    const front = rows.front;
    const back = rows.back;
    const canonical = (name: string) => this.canonical(name);
    this.untypeUntraced(rows);
    this.tagJobs(rows, jobRow, canonical, feed);
    front.tags.push(...this.devNames);
    back.tags.push(...this.devNames);
    const names = [...new Set(this.devNames.filter((n) => n !== '').map(canonical))];
    const views: QemuDeviceView[] = [];
    // Writes no device caused, on a protocol node no device's requests reach: a block job's own node (the target
    // of blockdev-backup: block/block-copy.c writes it through a BdrvChild of its own, not a BlockBackend). They
    // are that node's, not any drive's: a view of their own, named by the node, so that the host device holding
    // them is known to be its and is never taken to be under a drive by elimination (graph.ts unmapped).
    const unknown = this.devIndex.get('');
    const orphanNodes = new Map<number, string>();
    for (let r = 0; r < back.n; r++) {
      const ni = rows.nodeOf(r);
      if (back.tag[r] === unknown && back.kind[r] === OpKind.Write && ni >= 0) orphanNodes.set(ni, `node:${this.nodes[ni]!}`);
    }
    const orphan = (r: number) => orphanNodes.has(rows.nodeOf(r));
    for (const name of names) {
      const tagsOf = new Set<number>();
      this.devNames.forEach((n, i) => { if (canonical(n) === name) tagsOf.add(i); });
      const f = front.filter((r) => tagsOf.has(front.tag[r]!), name);
      const b = back.filter((r) => tagsOf.has(back.tag[r]!) || (names.length === 1 && back.tag[r] === unknown && !orphan(r)), name);
      const entries: Array<[number, number[]]> = [];
      for (let k = 0; k < rows.frontsWithJobs.n; k++) {
        const nr = f.rowMap[rows.frontsWithJobs.a[k]!] ?? -1;
        if (nr < 0) continue;
        const jobs: number[] = [];
        for (let x = rows.jobStart.a[k]!, end = rows.jobsEnd(k); x < end; x++) {
          const jr = jobRow.get(rows.jobIds.a[x]!);
          const br = jr === undefined ? -1 : b.rowMap[jr] ?? -1;
          if (br >= 0) jobs.push(br);
        }
        entries.push([nr, jobs]);
      }
      const tracker = new CacheModeTracker();
      for (const [dev, tr] of this.trackers) if (canonical(dev) === name) tracker.merge(tr);
      const cache = tracker.infer();
      f.table.writeThrough = false;
      let writes = 0;
      for (let i = 0; i < f.table.n; i++) if (f.table.kind[i] === OpKind.Write) writes++;
      f.table.unobserved = name.startsWith('blk:') ? 'BlockBackend flushes have no trace event in QEMU 7.2, and this trace has no virtio_blk_*, scsi_disk_*/virtio_scsi_* or pci_nvme_* events to show the guest\'s' : this.sharedModelName(name);
      // a SCSI/NVMe name that stands for several drives (or whose commands never complete): which drive's
      // writes a flush command covered cannot be told, so its own promises are not judged against its jobs either
      b.table.unobserved = this.unobservedJobs() ?? (name.startsWith('blk:') ? undefined : f.table.unobserved);
      const view: QemuDeviceView = { device: name, front: f.table, back: b.table, links: Links.from(f.table.n, entries), cache, writes };
      const nodes = protocolNodesOf(rows, b.rowMap, b.table);
      if (nodes.writeNodes) view.writeNodes = nodes.writeNodes;
      if (nodes.readOnlyNodes) view.readOnlyNodes = nodes.readOnlyNodes;
      if (name.startsWith('blk:')) view.ownIo = true;
      views.push(view);
    }
    for (const [ni, name] of orphanNodes) {
      const f = front.filter(() => false, name);
      const b = back.filter((r) => back.tag[r] === unknown && rows.nodeOf(r) === ni, name);
      f.table.unobserved = 'a node no guest device writes through (a block job\'s own target): it has no requests of its own';
      views.push({ device: name, front: f.table, back: b.table, links: Links.from(0, []), cache: new CacheModeTracker().infer(), writes: 0, ownIo: true });
    }
    views.sort((a, b) => b.writes - a.writes);
    return views;
  }
}

/**
 * A device's back rows → protocol node of its write jobs, when they went to more than one node, and of its reads
 * on nodes it never writes, when it has both (QemuDeviceView writeNodes, readOnlyNodes).
 */
function protocolNodesOf(rows: QemuRows, rowMap: Int32Array, back: OpTable): Pick<QemuDeviceView, 'writeNodes' | 'readOnlyNodes'> {
  const writes = new Int32Array(back.n).fill(-1);
  const written = new Set<number>();
  for (let r = 0; r < rowMap.length; r++) {
    const b = rowMap[r]!;
    const ni = rows.nodeOf(r);
    if (b < 0 || back.kind[b] !== OpKind.Write || ni < 0) continue;
    writes[b] = ni;
    written.add(ni);
  }
  const out: Pick<QemuDeviceView, 'writeNodes' | 'readOnlyNodes'> = {};
  if (written.size > 1) out.writeNodes = writes;
  if (written.size === 0) return out;
  const reads = new Int32Array(back.n).fill(-1);
  let any = false;
  for (let r = 0; r < rowMap.length; r++) {
    const b = rowMap[r]!;
    const ni = rows.nodeOf(r);
    if (b < 0 || back.kind[b] !== OpKind.Read || ni < 0 || written.has(ni)) continue;
    reads[b] = ni;
    any = true;
  }
  if (any) out.readOnlyNodes = reads;
  return out;
}

/** Keys of a QEMU process' quiet log: front rows by device tag, back rows by protocol node (NODE_KEY + index). */
const NODE_KEY = 1 << 20;

/** A run of a QEMU process' rows written to a SpillFile when it fell quiet. */
export interface QemuPiece {
  front: SpilledRows;
  back: SpilledRows;
  ints: SpilledInts;
  span: RowSpan;
}

export interface QemuPieces {
  /** The device with the most writes over the whole trace, and whether another wrote a tenth as much. */
  main: string | undefined;
  rival: boolean;
  quiet: QuietLog;
  pieces: QemuPiece[];
  /** A piece's rows, in `into` (emptied first: one QemuRows serves piece after piece); returns `into`. */
  load(p: QemuPiece, into: QemuRows): QemuRows;
  views(r: QemuRows): QemuDeviceView[];
  summary: RebuildSummary | undefined;
}

function spanOf(r: QemuRows): RowSpan {
  const a = rowSpan(r.front);
  const b = rowSpan(r.back);
  return { first: Math.min(a.first, b.first), last: Math.max(a.last, b.last) };
}

function jobRowsOf(back: OpTable): Map<number, number> {
  const m = new Map<number, number>();
  for (let r = 0; r < back.n; r++) m.set(back.ext[r]!, r);
  return m;
}

const FAMILY = { virtio: 1, blk: 2, bdrv: 4, jobs: 8 } as const;

/** The trace-event family of a QEMU event kind (QemuKind values: 1–9 virtio, 10s blk, 20s bdrv, 30s–40s host jobs). */
function family(kind: number): number {
  if (kind >= 1 && kind <= 9) return FAMILY.virtio;
  if (kind >= 10 && kind <= 19) return FAMILY.blk;
  if (kind >= 20 && kind <= 29) return FAMILY.bdrv;
  if (kind >= 30 && kind <= 44) return FAMILY.jobs;
  return 0;
}

/** A growing column of 32-bit integers. */
export class IntColumn {
  a = new Int32Array(256);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(Math.max(256, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  /** Room for `n` values at least. */
  reserve(n: number): void {
    if (n <= this.a.length) return;
    const b = new Int32Array(Math.max(n, this.a.length * 2));
    b.set(this.a);
    this.a = b;
  }
}
