/**
 * Integer reads straight from the bytes in either byte order, through a
 * DataView over the current Buffer (TurboFan inlines DataView accessors; in a
 * micro-benchmark they beat both Buffer#readUInt32LE and byte arithmetic).
 * u64 values come back as numbers (exact below 2^53) or as hi/lo words.
 */

export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function u16(v: DataView, p: number, le: boolean): number {
  return v.getUint16(p, le);
}

export function u32(v: DataView, p: number, le: boolean): number {
  return v.getUint32(p, le);
}

/** High word of the u64 at p. */
export function hi32(v: DataView, p: number, le: boolean): number {
  return v.getUint32(le ? p + 4 : p, le);
}

/** Low word of the u64 at p. */
export function lo32(v: DataView, p: number, le: boolean): number {
  return v.getUint32(le ? p : p + 4, le);
}

export function u64(v: DataView, p: number, le: boolean): number {
  return hi32(v, p, le) * 4294967296 + lo32(v, p, le);
}
