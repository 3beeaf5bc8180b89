/**
 * The borderless tables of `check` and `stats`: what cli-table3 draws with
 * the PLAIN style below (no borders, two spaces before the first column, one
 * between columns, every cell padded to its column's width plus one space),
 * drawn here directly when every cell is text of one column per character.
 * cli-table3 measures each cell with string-width and runs its layout, cell
 * and padding code, cold at start-up: about 1.5 ms of `check` on a small
 * trace for a table of two rows (README, Performance, start-up). Any other
 * text (tabs, wide or combining characters, escape sequences, line breaks)
 * and rows of another length than the head go to cli-table3 as before;
 * test/plain-table.test.ts holds the two to the same output.
 */
import Table from 'cli-table3';

export type Align = 'left' | 'right';

export const PLAIN = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
    'bottom-right': '', left: '  ', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
  },
  style: { 'padding-left': 0, 'padding-right': 1, head: [] as string[], border: [] as string[] },
};

/**
 * Printable ASCII and Latin-1: one column each to string-width (the width
 * cli-table3 measures), alone and in any sequence — none of them starts an
 * escape sequence or takes part in an emoji sequence.
 */
const ONE_COLUMN = /^[\x20-\x7e\xa0-\xff]*$/;

/** The table as cli-table3 draws it with PLAIN (lines joined by "\n", no final newline). */
export function plainTable(head: string[], rows: string[][], aligns: readonly Align[]): string {
  if (!simple(head, rows)) return cliTable3(head, rows, aligns);
  const widths = head.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  const line = (cells: string[]) =>
    '  ' + cells.map((c, i) => (aligns[i] === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)) + ' ').join(' ');
  return [head, ...rows].map(line).join('\n');
}

function simple(head: string[], rows: string[][]): boolean {
  if (head.length === 0) return false;
  for (const c of head) if (!ONE_COLUMN.test(c)) return false;
  for (const r of rows) {
    if (r.length !== head.length) return false;
    for (const c of r) if (!ONE_COLUMN.test(c)) return false;
  }
  return true;
}

export function cliTable3(head: string[], rows: string[][], aligns: readonly Align[]): string {
  const t = new Table({ ...PLAIN, head, colAligns: [...aligns] });
  for (const r of rows) t.push(r);
  return t.toString();
}
