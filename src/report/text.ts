/**
 * Terminal text helpers shared by terminal.ts and charts.ts: untrusted text
 * made inert, ANSI colour only when asked for, and word wrapping.
 */
import { safeText } from '../model/text.js';

/**
 * Untrusted text (from a trace, a file name, a layer name) for a terminal:
 * control and escape sequences shown as \xNN (cli/output.ts safeText), and
 * Unicode bidirectional overrides, which reorder what the reader sees, as \u{…}.
 */
export function term(s: unknown): string {
  // eslint-disable-next-line no-control-regex
  return safeText(String(s)).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

export type Paint = (style: keyof typeof SGR, s: string) => string;

const SGR = {
  red: '31', yellow: '33', blue: '34', magenta: '35', cyan: '36', green: '32', gray: '90', bold: '1', dim: '2',
} as const;

/** A painter that colours only when `color` (a TTY without NO_COLOR / --no-color). */
export function painter(color: boolean): Paint {
  if (!color) return (_style, s) => s;
  return (style, s) => `\x1b[${SGR[style]}m${s}\x1b[0m`;
}

export const SEVERITY_STYLE: Record<string, keyof typeof SGR> = { error: 'red', warning: 'yellow', info: 'cyan' };

/** Greedy word wrap to `width` columns (at least 20), every line prefixed by `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  const max = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(indent + line);
      line = '';
    }
    let w = word;
    while (w.length > max) {
      if (line) {
        lines.push(indent + line);
        line = '';
      }
      lines.push(indent + w.slice(0, max));
      w = w.slice(max);
    }
    line = line ? `${line} ${w}` : w;
  }
  if (line || lines.length === 0) lines.push(indent + line);
  return lines;
}

/** Pad/cut to exactly n columns (ASCII-width strings). */
export function fit(s: string, n: number): string {
  return s.length > n ? s.slice(0, Math.max(0, n - 1)) + '…' : s.padEnd(n);
}
