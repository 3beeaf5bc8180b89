/** Block tracepoint text: description and detection (no parser: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';
import { tracepointConfidence } from './detect.js';

export const tracepointMeta: FormatMeta = {
  name: 'tracepoint',
  title: 'block tracepoint text: tracefs trace (events/block), trace-cmd report, perf script',
  example: '         python3-11683   [000] .....   892.573506: block_bio_queue: 7,1 WFS 8192 + 128 [python3]',
  detectedBy: 'lines whose event is block_* (or block:block_*) after a "comm-pid [cpu] … secs.usecs:" context, or bare "block_xxx: maj,min …" lines',
  kind: 'text',
  produces: 'block',
  carriesCalls: true,
  detect: tracepointConfidence,
};
