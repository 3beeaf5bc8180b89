/**
 * Test helpers shared by every format's tests: run a FormatSpec's parser core
 * over a Buffer in chunks of a given size and collect copies of the events,
 * the diagnostics and attachments — so any test can check that chunk
 * boundaries never change what is read (speedscope's habit).
 */
import { Diagnostics } from '../../src/model/diagnostics.js';
import { copyEvent, type BlockEvent } from '../../src/model/event.js';
import type { FormatSpec, ParseContext, ParseOptions } from '../../src/formats/types.js';
import type { ClockDomain } from '../../src/model/time.js';

export interface ParseResult {
  events: BlockEvent[];
  diag: Diagnostics;
  attachments: Record<string, unknown>;
  limitations: string[];
  clock?: ClockDomain;
  /** Non-block records (QEMU formats), if the format emits any through ctx.qemuSink-like hooks. */
  other: unknown[];
}

export function parseBuffer(
  format: FormatSpec,
  data: Buffer,
  chunkSize = 65536,
  options: ParseOptions = {},
  sourceName = 'test-input',
): ParseResult {
  const result: ParseResult = { events: [], diag: new Diagnostics(), attachments: {}, limitations: [], other: [] };
  const ctx: ParseContext & Record<string, unknown> = {
    sourceIndex: 0,
    sourceName,
    sink: { event: (e) => result.events.push(copyEvent(e)) },
    diag: result.diag,
    options,
    setClock: (d) => {
      result.clock = d;
    },
    attach: (kind, d) => {
      result.attachments[kind] = d;
    },
    limitation: (t) => {
      result.limitations.push(t);
    },
  };
  const parser = format.create(ctx);
  for (let i = 0; i < data.length; i += chunkSize) parser.push(data.subarray(i, Math.min(data.length, i + chunkSize)));
  parser.end();
  return result;
}

/** The chunk sizes every format must be indifferent to. */
export const CHUNK_SIZES = [1, 7, 65536] as const;
