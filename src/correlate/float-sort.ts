/**
 * Ascending sort of a Float64Array by its bits (LSD radix, four 16-bit digits): the coarse flush search and
 * the drift windows sort 10⁵–10⁶ offsets at a time, where V8's comparison sort spends most of alignment's
 * time. The order is the built-in sort's (−0 before +0); NaN is never given (intervals are checked
 * lo ≤ hi before they are kept).
 */
const RADIX_MIN = 2048;

export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN) return a.sort();
  // IEEE 754 bits made unsigned-comparable: negatives have every bit flipped, positives the sign bit
  const words = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  const keys = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    const neg = hi >>> 31;
    keys[2 * i] = neg ? ~lo >>> 0 : lo;
    keys[2 * i + 1] = neg ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
  }
  // 16-bit digits for large arrays, 8-bit ones (smaller counting tables to clear) for the drift windows'
  const bits = n >= 65536 ? 16 : 8;
  const buckets = 1 << bits;
  const mask = buckets - 1;
  const perWord = 32 / bits;
  let src = keys;
  let dst = new Uint32Array(n * 2);
  const count = new Uint32Array(buckets);
  for (let pass = 0; pass < 2 * perWord; pass++) {
    const word = pass >= perWord ? 1 : 0;
    const shift = (pass % perWord) * bits;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[2 * i + word]! >>> shift) & mask]!++;
    let sum = 0;
    for (let d = 0; d < buckets; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const d = (src[2 * i + word]! >>> shift) & mask;
      const j = count[d]!++;
      dst[2 * j] = src[2 * i]!;
      dst[2 * j + 1] = src[2 * i + 1]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  for (let i = 0; i < n; i++) {
    const lo = src[2 * i]!;
    const hi = src[2 * i + 1]!;
    const neg = (hi >>> 31) === 0;
    words[2 * i] = neg ? ~lo >>> 0 : lo;
    words[2 * i + 1] = neg ? ~hi >>> 0 : (hi & 0x7fffffff) >>> 0;
  }
  return a;
}
