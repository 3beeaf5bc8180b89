import type { FormatMeta } from '../types.js';

/**
 * blkparse text written with `-f`/`-F`. Which fields a line holds depends on
 * the format the user gave blkparse, so the content alone cannot identify it:
 * detect() is always 0 and this reader is used when --blkparse-format is given.
 */
export const blkparseCustomMeta: FormatMeta = {
  name: 'blkparse-custom',
  title: 'blkparse text written with a custom -f/-F format (give the same format with --blkparse-format)',
  example: '  8,16   1        1     0.000000000 416746  A  DS 1874855936 +    8388624 (   0) [blkdiscard]',
  detectedBy: 'never by content: chosen by --blkparse-format (or --format blkparse-custom)',
  kind: 'text',
  produces: 'block',
  detect: () => 0,
};
