/** The ftrace blk tracer's two text renderings: description and detection (no parser: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';
import { ftraceBlkClassicConfidence, ftraceBlkConfidence } from '../tracepoint/detect.js';

export const ftraceBlkMeta: FormatMeta = {
  name: 'ftrace-blk',
  title: 'ftrace blk tracer text, default rendering (current_tracer=blk; µs timestamps)',
  example: '         python3-11683   [000] d..1.   892.573504:   7,1    Q WFS 8192 + 128 [python3]',
  detectedBy: 'lines of "comm-pid [cpu] flags secs.usecs: maj,min ACT RWBS …" (often under "# tracer: blk")',
  kind: 'text',
  produces: 'block',
  detect: ftraceBlkConfidence,
};

export const ftraceBlkClassicMeta: FormatMeta = {
  name: 'ftrace-blk-classic',
  title: 'ftrace blk tracer text with options/blk_classic (blkparse-like, no sequence column; ns timestamps)',
  example: '  7,1    0   892.573504000 11683  Q WFS 8192 + 128 [python3]',
  detectedBy: 'lines of "maj,min cpu secs.nsecs pid ACT RWBS …" (no sequence column, unlike blkparse), "# DEV   CPU TIMESTAMP     PID ACT FLG" header',
  kind: 'text',
  produces: 'block',
  detect: ftraceBlkClassicConfidence,
};
