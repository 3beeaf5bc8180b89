/**
 * A cross-layer verdict compares an upper layer's sectors with the lower
 * layer's through the upper layer's sector map; with no `--map LAYER=…` that
 * map is the identity, which is right for a raw disk handed down whole (a VM
 * on /dev/loop1) and wrong for an image file on a filesystem (qcow2 on ext4,
 * where writes land wherever the filesystem put the file's blocks). The
 * analysis cannot tell the two apart, so when such findings exist and no map
 * was given, the user is told which option would decide them.
 */
import type { Finding } from '../model/report.js';

/** Rules whose verdict rests on matching sectors across layers (README "Rules"). */
const SECTOR_MATCHED = new Set(['flush-not-passed-down', 'fua-not-honored', 'write-through-not-durable', 'durable-order-inverted', 'cross-layer-undecided']);

export interface MapHint {
  layer: string;
  lower: string;
  findings: number;
  text: string;
}

/** Layer of a level name: "qemu:jobs" → "qemu", "host:7,1" → "host". */
function layerOfLevel(level: string): string {
  const i = level.indexOf(':');
  return i < 0 ? level : level.slice(0, i);
}

export function mapHints(findings: readonly Finding[], maps: Readonly<Record<string, unknown>> | undefined): MapHint[] {
  const by = new Map<string, MapHint>();
  for (const f of findings) {
    if (!SECTOR_MATCHED.has(f.rule)) continue;
    const lower = (f.details as Record<string, unknown> | undefined)?.['lower'];
    if (typeof lower !== 'string') continue;
    const lowerLayer = layerOfLevel(lower);
    // a QEMU layer's own two levels (requests → jobs) share one address space: no map is involved
    if (lowerLayer === f.layer || maps?.[f.layer] !== undefined) continue;
    const key = `${f.layer}\u0000${lowerLayer}`;
    let h = by.get(key);
    if (!h) by.set(key, (h = { layer: f.layer, lower: lowerLayer, findings: 0, text: '' }));
    h.findings++;
  }
  for (const h of by.values()) {
    h.text = `${h.findings} cross-layer finding(s) at ${h.layer} compare its sectors with ${h.lower}'s as the same numbers ` +
      `(no --map ${h.layer}=…). If ${h.layer}'s disk is a file on a filesystem or an image (qcow2), --map ${h.layer}=FILE ` +
      `(filefrag -v -b512 of that file, a CSV upper_sector,lower_sector,sectors, or qemu-img map --output=json) decides them.`;
  }
  return [...by.values()];
}
