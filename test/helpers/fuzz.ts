/**
 * Input mutators and the "never throws, chunking never matters" property,
 * shared by the property tests (test/property.test.ts) and the long fuzz run
 * (bench/fuzz.ts). Deterministic given a seed.
 */
import type { FormatSpec } from '../../src/formats/types.js';
import { parseBuffer } from './chunking.js';

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [
  '0', '-1', '4294967295', '18446744073709551615', '99999999999999999999', '+', '/', '[', ']', '(', ')', '<-', ',',
  ' ', '\t', '\r', '\n', '\u0000', '\u001b[2J', 'FWFSM', 'FN', 'FF', 'WS', 'RA', 'Q', 'C', 'D', 'UT', 'm', ':', '.',
  'block_rq_complete:', '0x10', 'nsectors', '@', 'é', '\uffff',
];

/** One random mutation of `data`: flip, insert, delete, duplicate a line, truncate, splice a token. */
export function mutate(data: Buffer, r: () => number): Buffer {
  const n = data.length;
  const at = Math.floor(r() * (n + 1));
  switch (Math.floor(r() * 7)) {
    case 0: {
      const b = Buffer.from(data);
      if (n) b[Math.min(at, n - 1)] = Math.floor(r() * 256);
      return b;
    }
    case 1:
      return Buffer.concat([data.subarray(0, at), Buffer.from(INTERESTING[Math.floor(r() * INTERESTING.length)]!), data.subarray(at)]);
    case 2:
      return Buffer.concat([data.subarray(0, at), data.subarray(Math.min(n, at + 1 + Math.floor(r() * 16)))]);
    case 3: {
      const s = data.lastIndexOf(10, at);
      const e = data.indexOf(10, at);
      if (e < 0) return data;
      const line = data.subarray(s + 1, e + 1);
      return Buffer.concat([data.subarray(0, e + 1), line, data.subarray(e + 1)]);
    }
    case 4:
      return data.subarray(0, at);
    case 5: {
      const len = 1 + Math.floor(r() * 64);
      const junk = Buffer.alloc(len);
      for (let i = 0; i < len; i++) junk[i] = Math.floor(r() * 256);
      return Buffer.concat([data.subarray(0, at), junk, data.subarray(at)]);
    }
    default: {
      // swap two bytes far apart (e.g. endianness-ish damage in binaries)
      const b = Buffer.from(data);
      const j = Math.floor(r() * n);
      if (n) [b[Math.min(at, n - 1)], b[j]] = [b[j]!, b[Math.min(at, n - 1)]!];
      return b;
    }
  }
}

export interface PropertyFailure {
  format: string;
  kind: 'throw' | 'chunking';
  message: string;
  input: Buffer;
}

/** Parse `input` whole and in `chunk`-byte pieces; report a throw or a difference. */
export function checkInput(format: FormatSpec, input: Buffer, chunk: number): PropertyFailure | undefined {
  let whole;
  try {
    whole = parseBuffer(format, input, Math.max(1, input.length));
  } catch (err) {
    return { format: format.name, kind: 'throw', message: String((err as Error)?.stack ?? err), input };
  }
  let pieces;
  try {
    pieces = parseBuffer(format, input, chunk);
  } catch (err) {
    return { format: format.name, kind: 'throw', message: `chunk ${chunk}: ${String((err as Error)?.stack ?? err)}`, input };
  }
  const a = JSON.stringify(whole.events);
  const b = JSON.stringify(pieces.events);
  if (a !== b) return { format: format.name, kind: 'chunking', message: `events differ with ${chunk}-byte chunks`, input };
  return undefined;
}
