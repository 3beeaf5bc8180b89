/**
 * `--csv-columns`: which CSV column holds which request field, in what unit.
 *
 *   mapping := preset | entry ("," entry)*
 *   entry   := field "=" column ("+" column)* [":" unit] ["{" value "=" op ("," value "=" op)* "}"]
 *   column  := a header name (case-insensitive) | "#" N (1-based position, for files without a header)
 *
 * Fields and units (default unit first):
 *   time     issue time           s | ms | us | ns | 100ns | filetime (100 ns since 1601, Windows)
 *   end      completion time      same units as time
 *   latency  issue → completion   s | ms | us | ns | 100ns
 *   device   disk: "maj,min" / "maj:min" → that dev_t; any other text → a synthetic id (snoop/device-names.ts);
 *            several columns are joined with "_" (MSR: Hostname+DiskNumber → "src1_0")
 *   op       Read/Write/Flush/Discard (any case, R/W/F/D) or an RWBS string (WS, FWFS, FN…);
 *            "{0=read,1=write}" maps other values
 *   offset   bytes (":N" = units of N bytes, e.g. an LBA column with offset=LBA:4096)
 *   sector   512-byte sectors
 *   size     bytes (":N" = units of N bytes)
 *   sectors  512-byte sectors
 *   pid, comm
 * Aliases: type/rwbs → op; dev/disk → device; lat/response/responsetime → latency;
 *   start/issue → time; completion/done → end; bytes → size; blocks → sectors.
 */

export type Field = 'time' | 'end' | 'latency' | 'device' | 'op' | 'offset' | 'sector' | 'size' | 'sectors' | 'pid' | 'comm';

export interface ColumnRef {
  /** Header name as written in the mapping, or undefined for "#N". */
  name?: string;
  /** 0-based position; resolved from the header for names (-1 until then). */
  index: number;
}

export interface FieldMap {
  field: Field;
  columns: ColumnRef[];
  /** Time/latency: digits of the unit below one second (s 0, ms 3, us 6, 100ns 7, ns 9). Sizes: bytes per unit. */
  unit: number;
  unitName: string;
  /** Lower-cased value → op name, from "{…}". */
  values?: Map<string, string>;
}

export interface CsvMapping {
  /** Text the mapping came from (preset name or the option value). */
  source: string;
  fields: Map<Field, FieldMap>;
  /** True when some column is referenced by name: the first row must be a header. */
  byName: boolean;
  /** Time unit is Windows FILETIME (epoch 1601-01-01 UTC). */
  filetime: boolean;
}

const ALIASES: Record<string, Field> = {
  time: 'time', start: 'time', issue: 'time',
  end: 'end', completion: 'end', done: 'end',
  latency: 'latency', lat: 'latency', response: 'latency', responsetime: 'latency',
  device: 'device', dev: 'device', disk: 'device',
  op: 'op', type: 'op', rwbs: 'op',
  offset: 'offset', sector: 'sector',
  size: 'size', bytes: 'size', sectors: 'sectors', blocks: 'sectors',
  pid: 'pid', comm: 'comm',
};

const TIME_UNITS: Record<string, number> = { s: 0, ms: 3, us: 6, 'µs': 6, ns: 9, '100ns': 7, filetime: 7 };

/**
 * SNIA IOTTA MSR Cambridge block traces (Narayanan et al., "Write off-loading",
 * FAST 2008): `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`,
 * no header row; Timestamp is a Windows FILETIME and ResponseTime is in the same
 * 100 ns ticks; Offset and Size in bytes; Type Read/Write.
 */
export const PRESETS: Record<string, string> = {
  msr: 'time=#1:filetime,device=#2+#3,op=#4,offset=#5,size=#6,latency=#7:100ns',
};

export class MappingError extends Error {}

/** Split on `sep` outside "{…}". */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === sep && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

export function parseMapping(text: string): CsvMapping {
  const source = text.trim();
  const preset = PRESETS[source.toLowerCase()];
  const body = preset ?? source;
  const mapping: CsvMapping = { source, fields: new Map(), byName: false, filetime: false };
  for (const rawEntry of splitTop(body, ',')) {
    const entry = rawEntry.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new MappingError(`"${entry}": expected field=Column (e.g. time=Timestamp:100ns)`);
    const fieldName = entry.slice(0, eq).trim().toLowerCase();
    const field = ALIASES[fieldName];
    if (!field) throw new MappingError(`unknown field "${fieldName}"; known: ${[...new Set(Object.values(ALIASES))].join(', ')}`);
    if (mapping.fields.has(field)) throw new MappingError(`field "${field}" is mapped twice`);
    let rest = entry.slice(eq + 1).trim();
    let values: Map<string, string> | undefined;
    const brace = rest.indexOf('{');
    if (brace >= 0) {
      if (!rest.endsWith('}')) throw new MappingError(`"${entry}": "{" without a closing "}"`);
      values = new Map();
      for (const pair of rest.slice(brace + 1, -1).split(',')) {
        const [k, v] = pair.split('=').map((x) => x.trim());
        if (!k || !v) throw new MappingError(`"${entry}": value maps look like {0=read,1=write}`);
        values.set(k.toLowerCase(), v.toLowerCase());
      }
      rest = rest.slice(0, brace).trim();
    }
    let unitName = '';
    const colon = rest.lastIndexOf(':');
    if (colon > 0) {
      unitName = rest.slice(colon + 1).trim().toLowerCase();
      rest = rest.slice(0, colon).trim();
    }
    const columns = rest.split('+').map((c) => columnRef(c.trim(), entry));
    if (columns.some((c) => c.name !== undefined)) mapping.byName = true;
    const fm: FieldMap = { field, columns, unit: 0, unitName, values };
    setUnit(fm, entry);
    if (unitName === 'filetime') mapping.filetime = true;
    mapping.fields.set(field, fm);
  }
  if (!mapping.fields.has('time') && !mapping.fields.has('end')) {
    throw new MappingError('a time or end column is required (e.g. time=Timestamp:100ns)');
  }
  if (mapping.fields.has('offset') && mapping.fields.has('sector')) throw new MappingError('map offset or sector, not both');
  if (mapping.fields.has('size') && mapping.fields.has('sectors')) throw new MappingError('map size or sectors, not both');
  return mapping;
}

function columnRef(text: string, entry: string): ColumnRef {
  if (text === '') throw new MappingError(`"${entry}": empty column name`);
  if (text.startsWith('#')) {
    const n = Number(text.slice(1));
    if (!Number.isInteger(n) || n < 1) throw new MappingError(`"${entry}": "#N" needs a position from 1`);
    return { index: n - 1 };
  }
  return { name: text, index: -1 };
}

function setUnit(fm: FieldMap, entry: string): void {
  const u = fm.unitName;
  switch (fm.field) {
    case 'time':
    case 'end':
    case 'latency': {
      const d = TIME_UNITS[u === '' ? 's' : u];
      if (d === undefined || (fm.field === 'latency' && u === 'filetime')) {
        throw new MappingError(`"${entry}": time units are s, ms, us, ns, 100ns${fm.field === 'latency' ? '' : ', filetime'}`);
      }
      fm.unit = d;
      return;
    }
    case 'offset':
    case 'size': {
      const n = u === '' || u === 'b' || u === 'bytes' ? 1 : Number(u);
      if (!Number.isInteger(n) || n < 1) throw new MappingError(`"${entry}": the unit of ${fm.field} is bytes per unit (e.g. :4096)`);
      fm.unit = n;
      return;
    }
    default:
      if (u !== '') throw new MappingError(`"${entry}": ${fm.field} takes no unit`);
  }
}

/** Resolve names against a header row; returns the names that are missing. */
export function resolveHeader(mapping: CsvMapping, header: string[]): string[] {
  const idx = new Map<string, number>();
  header.forEach((h, i) => {
    const k = h.trim().toLowerCase();
    if (!idx.has(k)) idx.set(k, i);
  });
  const missing: string[] = [];
  for (const fm of mapping.fields.values()) {
    for (const c of fm.columns) {
      if (c.name === undefined) continue;
      const i = idx.get(c.name.toLowerCase());
      if (i === undefined) missing.push(c.name);
      else c.index = i;
    }
  }
  return missing;
}
