/** CSV traces: description and detection (no parser: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';

const MSR_ROW = /^\d{16,19},[^,]*,\d+,(?:Read|Write),\d+,\d+,\d+$/i;
const MSR_HEADER = /^\s*Timestamp\s*,\s*Hostname\s*,\s*DiskNumber\s*,\s*Type\s*,\s*Offset\s*,\s*Size\s*,\s*ResponseTime\s*$/i;

/**
 * SNIA IOTTA MSR Cambridge layout, by content: up to 5 leading rows of
 * `FILETIME,host,disk,Read|Write,offset,size,response` (a FILETIME of 2007 is
 * about 1.28e17: 18 digits), optionally after the column-name header.
 */
export function msrConfidence(head: Buffer): number {
  const lines = head.toString('latin1').split('\n', 7).map((l) => l.replace(/^\uFEFF|\r$/g, '').trim());
  let rows = 0;
  for (let i = 0; i < lines.length && rows < 5; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    if (i === 0 && MSR_HEADER.test(l)) continue;
    // A partial last line in `head` proves nothing either way.
    if (i === lines.length - 1 && head.length >= 65536) break;
    if (!MSR_ROW.test(l)) return 0;
    rows++;
  }
  return rows === 0 ? 0 : 0.6 + 0.06 * rows;
}

export const csvMsrMeta: FormatMeta = {
  name: 'csv-msr',
  title: 'SNIA IOTTA MSR Cambridge CSV (Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime): completed requests',
  example: '128166372003061629,src1,0,Read,3154305024,4096,38764',
  detectedBy: 'rows of 7 fields: an 18-digit Windows FILETIME, host, disk number, Read|Write, offset, size, response time',
  kind: 'text',
  produces: 'block',
  detect: msrConfidence,
};

export const csvMeta: FormatMeta = {
  name: 'csv',
  title: 'CSV block trace with a --csv-columns mapping (one row per completed request)',
  example: 'time=Timestamp:100ns,device=Hostname+DiskNumber,op=Type,offset=Offset,size=Size,latency=ResponseTime:100ns',
  detectedBy: 'never by content: chosen by --format csv or by giving --csv-columns',
  kind: 'text',
  produces: 'block',
  detect: () => 0,
};
