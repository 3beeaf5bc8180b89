import type { FormatSpec } from './types.js';
import { blkparseFormat } from './blkparse/spec.js';
import { eventsCsvFormat, eventsNdjsonFormat } from './events/spec.js';

/**
 * Every input format blkaudit reads. Detection asks each spec for its
 * confidence on the first bytes of the input and takes the highest; order
 * here only breaks ties (more specific formats first).
 */
export const FORMATS: readonly FormatSpec[] = [
  blkparseFormat,
  eventsNdjsonFormat,
  eventsCsvFormat,
];

export function formatByName(name: string): FormatSpec | undefined {
  return FORMATS.find((f) => f.name === name);
}

export interface Detection {
  format: FormatSpec;
  confidence: number;
}

/** Best match for `head`, or undefined when nothing recognises it. */
export function detectFormat(head: Buffer): Detection | undefined {
  let best: Detection | undefined;
  for (const format of FORMATS) {
    let confidence = 0;
    try {
      confidence = format.detect(head);
    } catch {
      confidence = 0;
    }
    if (confidence > 0 && (!best || confidence > best.confidence)) best = { format, confidence };
  }
  return best;
}
