/**
 * How times read in text: reference-clock seconds with their ± uncertainty
 * ("0.021644 s ± 12 µs"), a source's own time as its trace prints it
 * ("@9.008023614"; a realtime clock such as QEMU's as UTC time of day,
 * "@14:31:16.247788", never as epoch seconds), untimed events by order.
 */
import type { EvidenceRef } from '../model/event.js';

/** Seconds on the reference clock, to the µs. */
export function refSeconds(t: number): string {
  return `${t.toFixed(6)} s`;
}

/** "± 12 µs" for an uncertainty in seconds (rounded up: never tighter than known). */
export function plusMinus(u: number | undefined): string {
  if (u === undefined || !(u > 0)) return '';
  // rounded up, past float noise (3.0000000000000004e-5 s is 30 µs)
  const up = (x: number) => Math.ceil(x - 1e-6);
  if (u < 1e-3) return ` ± ${up(u * 1e6)} µs`;
  if (u < 1) return ` ± ${(up(u * 1e5) / 100).toFixed(2)} ms`;
  return ` ± ${(up(u * 1e3) / 1000).toFixed(3)} s`;
}

/** Sources whose clock base is an absolute wall-clock second (QEMU realtime, CSV epochs). */
const EPOCH_2000 = 946684800;

/** A source's own time as it reads in its trace; realtime clocks as UTC time of day. */
export function localText(seconds: number, clockBase?: number): string {
  if (clockBase !== undefined && clockBase >= EPOCH_2000 && seconds >= EPOCH_2000) {
    const ms = Math.floor(seconds);
    const d = new Date(ms * 1000);
    const frac = (seconds - ms).toFixed(6).slice(1);
    const hh = String(d.getUTCHours()).padStart(2, '0');
    const mm = String(d.getUTCMinutes()).padStart(2, '0');
    const ss = String(d.getUTCSeconds()).padStart(2, '0');
    return `${hh}:${mm}:${ss}${frac} UTC`;
  }
  return seconds.toFixed(9);
}

/** An evidence event's place on the reference clock, in words: "0.309215 s ± 12 µs", "order 37 of 104", "(host clock)". */
export function evidenceTimeText(ref: EvidenceRef, layer?: string): string {
  if (ref.time !== null) return refSeconds(ref.time) + plusMinus(ref.timeUncertainty);
  if (ref.order) return `order ${ref.order.n} of ${ref.order.of}`;
  return `(${layer ? `${layer} ` : ''}clock, not aligned)`;
}

/** The own-time part of an evidence line: "@9.008023614", or "" when the source is untimed. */
export function ownTimeText(ref: EvidenceRef, clockBase?: number): string {
  return ref.localTime !== undefined ? `@${localText(ref.localTime, clockBase)}` : '';
}
