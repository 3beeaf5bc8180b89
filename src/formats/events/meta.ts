/** blkaudit's own events: description and detection (no reader: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';
import { EVENTS_CSV_HEADER } from './codec.js';

export const eventsNdjsonMeta: FormatMeta = {
  name: 'events-ndjson',
  title: "blkaudit's own normalized events (blkaudit events --ndjson)",
  example: '{"source":"loop1.blkparse.txt","loc":1,"time":0.000000000,"device":"7,1","cpu":1,"seq":1,"pid":11214,"action":"Q","rwbs":"RM",…}',
  detectedBy: 'first line is a JSON object starting with {"source": and carrying "action" and "rwbs"',
  kind: 'text',
  produces: 'block',
  detect(head) {
    const first = head.toString('utf8', 0, Math.min(head.length, 4096)).split('\n')[0] ?? '';
    return first.startsWith('{"source":') && first.includes('"action":') && first.includes('"rwbs":') ? 0.99 : 0;
  },
};

export const eventsCsvMeta: FormatMeta = {
  name: 'events-csv',
  title: "blkaudit's own normalized events (blkaudit events --csv)",
  example: EVENTS_CSV_HEADER,
  detectedBy: 'first line is exactly the events CSV header',
  kind: 'text',
  produces: 'block',
  detect(head) {
    const first = (head.toString('utf8', 0, Math.min(head.length, 4096)).split('\n')[0] ?? '').replace(/\r$/, '');
    return first === EVENTS_CSV_HEADER ? 0.99 : 0;
  },
};
