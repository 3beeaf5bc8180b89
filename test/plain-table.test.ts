/**
 * model/plain-table.ts draws the borderless tables of `check` and `stats`
 * itself when every cell is one column per character, and hands anything
 * else to cli-table3: the output must be cli-table3's either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cliTable3, plainTable, type Align } from '../src/model/plain-table.js';

/** Characters either side of the one-column set's edges, and some far outside it (wide, combining, emoji, controls). */
const CHARS = [
  ' ', '!', 'a', 'Z', '0', '9', '~', '(', ')', ',', '.', '-',
  '\xa0', '\xa9', '\xae', '\xb5', '\xff', '\xe9',
  '\x7f', '\x9b', '\t', '\n', '\x1b', '\u0301', '\u4e2d', '\u2013', '\u2192', '\u{1f600}', '\u20e3', '\ufe0f',
];

const text = (chars: string[]) => fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((a) => a.join(''));
const ONE_COLUMN_CHARS = CHARS.slice(0, 18);

function table(chars: string[], raggedRows: boolean) {
  return fc.integer({ min: 1, max: 7 }).chain((cols) =>
    fc.record({
      head: fc.array(text(chars), { minLength: cols, maxLength: cols }),
      rows: fc.array(fc.array(text(chars), raggedRows ? { minLength: 0, maxLength: cols + 1 } : { minLength: cols, maxLength: cols }), { maxLength: 6 }),
      aligns: fc.array(fc.constantFrom<Align>('left', 'right'), { minLength: cols, maxLength: cols }),
    }));
}

test('one-column text: drawn here, exactly as cli-table3 draws it', () => {
  fc.assert(fc.property(table(ONE_COLUMN_CHARS, false), ({ head, rows, aligns }) => {
    assert.equal(plainTable(head, rows, aligns), cliTable3(head, rows, aligns));
  }), { numRuns: 2000 });
});

test('any text and ragged rows: the same as cli-table3', () => {
  fc.assert(fc.property(table(CHARS, true), ({ head, rows, aligns }) => {
    assert.equal(plainTable(head, rows, aligns), cliTable3(head, rows, aligns));
  }), { numRuns: 1000 });
});

test('the shapes check and stats print', () => {
  const head = ['DEVICE', 'CACHE', 'WRITES', 'FLUSHES', 'FUA', 'MAXVOL', 'LONGEST(s)'];
  const aligns: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right'];
  const rows = [['loop1 (7,1)', 'writeback (inferred)', '194', '141', '61', '36 KiB', '0.000676'], ['', '', '', '', '', '', '']];
  assert.equal(plainTable(head, rows, aligns), cliTable3(head, rows, aligns));
  assert.equal(plainTable(head, rows, aligns).split('\n')[1], '  loop1 (7,1)  writeback (inferred)     194      141   61  36 KiB    0.000676 ');
  const stats = [['Q2C', '432', '14.4', '86.6'], ['D2C', '9', '9.8', '28.7']];
  const statsHead = ['PHASE', 'N', 'MIN(µs)', 'AVG(µs)'];
  assert.equal(plainTable(statsHead, stats, ['left', 'right', 'right', 'right']), cliTable3(statsHead, stats, ['left', 'right', 'right', 'right']));
  assert.equal(plainTable(['', 'READS'], [['Requeued', '']], ['left', 'right']), cliTable3(['', 'READS'], [['Requeued', '']], ['left', 'right']));
});
