/**
 * The normalized events as a Parquet file (`blkaudit events --parquet FILE`),
 * written through hyparquet-writer: the columns of `events --csv` with typed
 * values, plus `layer` (the input's layer name) and `timeNs` (the exact
 * integer time; `time` is a DOUBLE in seconds for queries).
 *
 * Memory stays bounded: rows are gathered into one row group of ROW_GROUP
 * events, encoded, written to the file and dropped; only the file's footer
 * (a few hundred bytes per row group) grows with the trace.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { ACT_LETTERS, type BlockEvent } from '../../model/event.js';
import { formatDev } from '../../model/device.js';
import { OP_NAMES, formatRwbs } from '../../model/rwbs.js';
import { flagNames } from './codec.js';
import { VERSION } from '../../version.js';

export const ROW_GROUP = 65_536;

type Kind = 'STRING' | 'INT32' | 'INT64' | 'DOUBLE';

/** Column name and Parquet type, in file order. */
export const PARQUET_COLUMNS: ReadonlyArray<readonly [string, Kind]> = [
  ['source', 'STRING'], ['loc', 'INT64'], ['time', 'DOUBLE'], ['device', 'STRING'], ['cpu', 'INT32'], ['seq', 'INT64'],
  ['pid', 'INT32'], ['action', 'STRING'], ['rwbs', 'STRING'], ['op', 'STRING'], ['flags', 'STRING'], ['sector', 'INT64'],
  ['bytes', 'INT64'], ['error', 'INT32'], ['comm', 'STRING'], ['aux', 'INT64'], ['auxDev', 'STRING'], ['text', 'STRING'],
  ['layer', 'STRING'], ['timeNs', 'INT64'],
];

function schemaElement(name: string, kind: Kind): SchemaElement {
  const base = { name, repetition_type: 'REQUIRED' as const };
  switch (kind) {
    case 'STRING': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'INT32': return { ...base, type: 'INT32' };
    case 'INT64': return { ...base, type: 'INT64' };
    case 'DOUBLE': return { ...base, type: 'DOUBLE' };
  }
}

/** A ByteWriter whose bytes go to a file after each row group (hyparquet-writer calls flush()). */
class FileByteWriter extends ByteWriter {
  constructor(private readonly fd: number) {
    super(1 << 20);
  }

  flush(): void {
    let done = 0;
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.index = 0;
  }

  override finish(): void {
    this.flush();
    closeSync(this.fd);
  }
}

type Column = string[] | Int32Array | BigInt64Array | Float64Array;

function newColumn(kind: Kind, rows: number): Column {
  switch (kind) {
    case 'STRING': return [];
    case 'INT32': return new Int32Array(rows);
    case 'INT64': return new BigInt64Array(rows);
    case 'DOUBLE': return new Float64Array(rows);
  }
}

export class ParquetEventWriter {
  // one buffer per column, reused for every row group (INT64 values must be bigint for the writer)
  private readonly str: string[][];
  private readonly i32: Int32Array[];
  private readonly i64: BigInt64Array[];
  private readonly f64: Float64Array;
  private readonly columns: Column[];
  private rows = 0;
  private readonly writer: ParquetWriter;
  /** Events written. */
  count = 0;

  /** `rowGroup`: events per row group (tests make it small). */
  constructor(path: string, private readonly rowGroup = ROW_GROUP) {
    this.columns = PARQUET_COLUMNS.map(([, k]) => newColumn(k, rowGroup));
    const of = <T extends Column>(names: string[]) => names.map((n) => this.columns[PARQUET_COLUMNS.findIndex(([c]) => c === n)] as T);
    this.str = of<string[]>(['source', 'device', 'action', 'rwbs', 'op', 'flags', 'comm', 'auxDev', 'text', 'layer']);
    this.i32 = of<Int32Array>(['cpu', 'pid', 'error']);
    this.i64 = of<BigInt64Array>(['loc', 'seq', 'sector', 'bytes', 'aux', 'timeNs']);
    this.f64 = of<Float64Array>(['time'])[0]!;
    // openSync throws ENOENT/EACCES with the path: the CLI reports it as an unusable output (exit 2)
    const out = new FileByteWriter(openSync(path, 'w'));
    this.writer = new ParquetWriter({
      writer: out,
      schema: [{ name: 'root', num_children: PARQUET_COLUMNS.length }, ...PARQUET_COLUMNS.map(([n, k]) => schemaElement(n, k))],
      createdBy: `blkaudit ${VERSION}`,
    });
  }

  add(e: BlockEvent, source: string, layer: string): void {
    const r = this.rows;
    const [sSource, sDevice, sAction, sRwbs, sOp, sFlags, sComm, sAuxDev, sText, sLayer] = this.str as [string[], string[], string[], string[], string[], string[], string[], string[], string[], string[]];
    sSource[r] = source;
    sDevice[r] = formatDev(e.dev);
    sAction[r] = ACT_LETTERS[e.act] ?? String(e.act);
    sRwbs[r] = formatRwbs(e.op, e.flags);
    sOp[r] = OP_NAMES[e.op] ?? 'none';
    sFlags[r] = flagNames(e.flags);
    sComm[r] = e.comm;
    sAuxDev[r] = e.auxDev === -1 ? '' : formatDev(e.auxDev);
    sText[r] = e.text;
    sLayer[r] = layer;
    const [cpu, pid, error] = this.i32 as [Int32Array, Int32Array, Int32Array];
    cpu[r] = e.cpu;
    pid[r] = e.pid;
    error[r] = e.error;
    const [loc, seq, sector, bytes, aux, timeNs] = this.i64 as [BigInt64Array, BigInt64Array, BigInt64Array, BigInt64Array, BigInt64Array, BigInt64Array];
    loc[r] = BigInt(e.loc);
    seq[r] = BigInt(e.seq);
    sector[r] = BigInt(e.sector);
    bytes[r] = BigInt(e.bytes);
    aux[r] = BigInt(e.aux);
    const ns = Math.round(e.time);
    timeNs[r] = BigInt(ns);
    this.f64[r] = ns / 1e9;
    this.count++;
    if (++this.rows >= this.rowGroup) this.writeGroup();
  }

  private writeGroup(): void {
    const n = this.rows;
    if (n === 0) return;
    // flush() is synchronous, so write() encodes and writes the group before returning
    void this.writer.write({
      columnData: PARQUET_COLUMNS.map(([name], i) => {
        const col = this.columns[i]!;
        return { name, data: Array.isArray(col) ? col.slice(0, n) : col.subarray(0, n) };
      }),
      rowGroupSize: n,
    });
    for (const s of this.str) s.length = 0;
    this.rows = 0;
  }

  /** Writes the last row group and the footer, and closes the file. */
  close(): void {
    this.writeGroup();
    void this.writer.finish();
  }
}
