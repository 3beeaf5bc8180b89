/**
 * Sector mapping from one layer to the layer below it (512-byte sectors):
 * identity (the default: a raw image, guest vda S == host loop S), a fixed
 * offset (a partition, a loop --offset), or an extent map — a file on a
 * filesystem (loop on a file, a qcow2 image's data on ext4).
 *
 * Extent maps are read from:
 *  - `filefrag -v [-b512]` output (e2fsprogs misc/filefrag.c: "ext: logical_offset:
 *    physical_offset: length: expected: flags:", units from the "(N blocks of B bytes)" header);
 *  - CSV `upper_sector,lower_sector,sectors` (header required; csv-parse);
 *  - `qemu-img map --output=json` (bytes; only entries with "data": true and an "offset");
 *  - JSON `[[upper, lower, sectors], …]` or `[{"upper":…, "lower":…, "sectors":…}, …]`.
 */
import { parse as parseCsv } from 'csv-parse/sync';

export interface Extent {
  upper: number;
  lower: number;
  sectors: number;
}

export interface SectorMap {
  /** How it was given, in words ("identity", "offset +2048", "7 extents from filefrag"). */
  readonly describe: string;
  readonly kind: 'identity' | 'offset' | 'extents';
  /** Lower ranges [start, sectors] for the upper range; unmapped parts are left out. */
  map(sector: number, count: number): Array<[number, number]>;
  /**
   * `map` without an array per call (hot loops: alignment candidates, the rules' search below): the lower
   * ranges go in `out` as start, sectors, start, sectors, …; returns how many ranges.
   */
  mapInto(sector: number, count: number, out: number[]): number;
  /** Upper sector for a lower sector, or undefined. */
  unmap(sector: number): number | undefined;
  /** Upper sectors the map covers (extent maps), for "unmapped" counts. */
  covers(sector: number): boolean;
}

export const IDENTITY: SectorMap = {
  describe: 'identity',
  kind: 'identity',
  map: (s, n) => [[s, n]],
  mapInto: (s, n, out) => {
    out[0] = s;
    out[1] = n;
    return 1;
  },
  unmap: (s) => s,
  covers: () => true,
};

export function offsetMap(delta: number): SectorMap {
  return {
    describe: `offset ${delta >= 0 ? '+' : ''}${delta}`,
    kind: 'offset',
    map: (s, n) => [[s + delta, n]],
    mapInto: (s, n, out) => {
      out[0] = s + delta;
      out[1] = n;
      return 1;
    },
    unmap: (s) => s - delta,
    covers: () => true,
  };
}

export function extentMap(extents: Extent[], describe: string): SectorMap {
  const ex = [...extents].filter((e) => e.sectors > 0).sort((a, b) => a.upper - b.upper);
  const byLower = [...ex].sort((a, b) => a.lower - b.lower);
  // Remap events may show one upper range at several lower places (raid5 traces every parity write as from
  // array sector 0; a cache target moves a block between its devices): then every extent that overlaps
  // counts, not only the last one starting before the range. Extents that never overlap keep the short walk.
  let overlapLen = 0;
  let reach = -Infinity;
  let maxLen = 0;
  for (const e of ex) {
    if (e.upper < reach) overlapLen = 1;
    reach = Math.max(reach, e.upper + e.sectors);
    maxLen = Math.max(maxLen, e.sectors);
  }
  if (overlapLen) overlapLen = maxLen;
  const find = (s: number): number => {
    let lo = 0;
    let hi = ex.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ex[mid]!.upper <= s) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1; // last extent starting at or before s
  };
  const into = (s: number, n: number, out: number[]): number => {
    let k = find(overlapLen > 0 ? s - overlapLen : s);
    if (k < 0) k = 0;
    const end = s + Math.max(n, 1);
    let m = 0;
    for (; k < ex.length && ex[k]!.upper < end; k++) {
      const e = ex[k]!;
      const a = Math.max(s, e.upper);
      const b = Math.min(end, e.upper + e.sectors);
      if (b > a) {
        out[2 * m] = e.lower + (a - e.upper);
        out[2 * m + 1] = n === 0 ? 0 : b - a;
        m++;
      }
    }
    return m;
  };
  return {
    describe,
    kind: 'extents',
    map(s, n) {
      const flat: number[] = [];
      const out: Array<[number, number]> = [];
      for (let i = 0, k = into(s, n, flat); i < k; i++) out.push([flat[2 * i]!, flat[2 * i + 1]!]);
      return out;
    },
    mapInto: into,
    unmap(s) {
      for (const e of byLower) if (s >= e.lower && s < e.lower + e.sectors) return e.upper + (s - e.lower);
      return undefined;
    },
    covers(s) {
      const k = find(s);
      return k >= 0 && s < ex[k]!.upper + ex[k]!.sectors;
    },
  };
}

const FILEFRAG_LINE = /^\s*\d+:\s*(\d+)\.\.\s*(\d+):\s*(\d+)\.\.\s*(\d+):\s*(\d+):/;

/** `filefrag -v` output → extents in 512-byte sectors. */
export function parseFilefrag(text: string): Extent[] {
  let unit = 1;
  const size = /\((\d+) blocks? of (\d+) bytes\)/.exec(text);
  if (size) unit = Number(size[2]) / 512;
  else {
    const bs = /blocksize of (\d+)|block size:? (\d+)/i.exec(text);
    if (bs) unit = Number(bs[1] ?? bs[2]) / 512;
  }
  const out: Extent[] = [];
  for (const line of text.split('\n')) {
    const m = FILEFRAG_LINE.exec(line);
    if (!m) continue;
    out.push({ upper: Number(m[1]) * unit, lower: Number(m[3]) * unit, sectors: Number(m[5]) * unit });
  }
  return out;
}

/** CSV `upper_sector,lower_sector,sectors` (header names as given; extra columns ignored). */
export function parseExtentCsv(text: string): Extent[] {
  const rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, comment: '#' }) as Record<string, string>[];
  return rows.map((r, i) => {
    const upper = Number(r['upper_sector']);
    const lower = Number(r['lower_sector']);
    const sectors = Number(r['sectors']);
    if (![upper, lower, sectors].every(Number.isFinite)) {
      throw new Error(`extent CSV row ${i + 2}: expected numeric upper_sector,lower_sector,sectors`);
    }
    return { upper, lower, sectors };
  });
}

/** JSON extents: qemu-img map output, [[u,l,n]…], or [{upper,lower,sectors}…]. */
export function parseExtentJson(value: unknown): Extent[] {
  if (!Array.isArray(value)) throw new Error('extent JSON must be an array');
  const out: Extent[] = [];
  for (const v of value) {
    if (Array.isArray(v) && v.length >= 3) out.push({ upper: Number(v[0]), lower: Number(v[1]), sectors: Number(v[2]) });
    else if (v && typeof v === 'object' && 'start' in v && 'length' in v) {
      const o = v as { start: number; length: number; offset?: number; data?: boolean };
      if (o.data === false || typeof o.offset !== 'number') continue;
      out.push({ upper: o.start / 512, lower: o.offset / 512, sectors: o.length / 512 });
    } else if (v && typeof v === 'object' && 'upper' in v) {
      const o = v as { upper: number; lower: number; sectors: number };
      out.push({ upper: Number(o.upper), lower: Number(o.lower), sectors: Number(o.sectors) });
    }
  }
  if (out.some((e) => ![e.upper, e.lower, e.sectors].every(Number.isFinite))) throw new Error('extent JSON has non-numeric values');
  return out;
}

/**
 * A map given as text: "+N"/"-N"/"N" (sector offset), "identity", or the
 * contents of a file in one of the formats above (detected by content).
 */
export function parseMapSpec(spec: string, fileText?: string, name = spec): SectorMap {
  const s = spec.trim();
  if (fileText === undefined) {
    if (s === '' || s === 'identity' || s === '0' || s === '+0') return IDENTITY;
    if (/^[+-]?\d+$/.test(s)) return offsetMap(Number(s));
    throw new Error(`--map ${JSON.stringify(spec)}: expected +N, -N (sectors), identity, or a file`);
  }
  const t = fileText.trimStart();
  let extents: Extent[];
  let how: string;
  if (t.startsWith('[') || t.startsWith('{')) {
    extents = parseExtentJson(JSON.parse(t));
    how = 'JSON';
  } else if (/ext:\s+logical_offset:/.test(t) || FILEFRAG_LINE.test(t.split('\n').find((l) => FILEFRAG_LINE.test(l)) ?? '')) {
    extents = parseFilefrag(t);
    how = 'filefrag';
  } else {
    extents = parseExtentCsv(t);
    how = 'CSV';
  }
  if (extents.length === 0) throw new Error(`${name}: no extents found`);
  return extentMap(extents, `${extents.length} extent(s) from ${how} ${name}`);
}
