/**
 * One trace of a whole stack, given without a layer name (`blkaudit check all.blkparse.txt` of
 * `blkparse -i dm-0 -i loop0`, an ftrace buffer): its remap events link its devices, and the cross-layer rules
 * must follow them. The correlate stage is loaded only when a command needs it (start-up: a check of one
 * device's trace never loads it), so the check tells, per device, which devices its bios were remapped from
 * (check/device-model.ts `remapsFrom`); when one of them is in the same input, the inputs are read again
 * with the correlation, as a named layer would have been.
 */
import type { Report } from '../model/report.js';

/** "7,0 ← 9,0" for each device of an unnamed input whose remaps come from another device of it; empty when none. */
export function stackedLinks(report: Report): string[] {
  const out: string[] = [];
  for (const d of report.devices) {
    if (d.layer !== '') continue;
    const from = d['remapsFrom'] as string[] | undefined;
    for (const f of from ?? []) {
      if (report.devices.some((x) => x.layer === '' && x.device === f)) out.push(`${d.device} ← ${f}`);
    }
  }
  return out;
}
