/**
 * blkparse `-f` / `-F` format strings, compiled into tokens for matching.
 *
 * Semantics follow blktrace blkparse_fmt.c (morbidrsa/blktrace f9bd00d):
 *  - `process_fmt`: "%%" is "%", a trailing "%" is "%", "\b \n \r \t" are
 *    escapes and any other backslash escape is an error (blkparse exits).
 *  - `parse_field`: "%" [-] [width] field. Unknown field letters print the
 *    letter itself (`default:` case of `print_field`).
 *  - `add_format_spec` / `set_all_format_specs`: `-F A,fmt` sets the format of
 *    one action letter (VALID_SPECS "ABCDFGIMPQRSTUWX"); `-f fmt` fills every
 *    letter not set by -F, whatever the option order. Actions are looked up by
 *    their FIRST letter, so `-F U,…` also formats UT (timer unplug) lines.
 *    Messages (`m`) always use the default layout.
 */

export const VALID_SPECS = 'ABCDFGIMPQRSTUWX';

/** Fields blkparse knows (blkparse(1), print_field): everything else prints its own letter. */
export const FIELD_LETTERS = 'acCdDegmMnNpPsStTuUz';

export type Token =
  | { kind: 'lit'; bytes: Buffer }
  | { kind: 'ws' }
  | { kind: 'nl' }
  | { kind: 'field'; spec: string; width: number; hasWidth: boolean; minus: boolean };

/** Matcher op codes (CompiledFormat.ops). */
export const OP = { ws: 0, wsBeforeNl: 1, nl: 2, lit: 3, field: 4, comm: 5 } as const;

export interface CompiledFormat {
  /** The format as given (escapes not expanded), for messages. */
  text: string;
  tokens: Token[];
  /** The tokens as numbers for the matcher: op code, argument (literal index or field letter code), exact width. */
  ops: Int32Array;
  args: Int32Array;
  /** Width of a field printed right before another field (no separator): its text is exactly this wide. 0 = none. */
  widths: Int32Array;
  lits: Buffer[];
  /** Action letters (VALID_SPECS) whose lines use this format. */
  letters: string;
  /** Lines one record spans (number of newlines, at least 1). */
  lines: number;
  has: Set<string>;
}

export class FormatSpecError extends Error {}

/** Compile one format string. */
export function compileFormat(text: string, letters: string): CompiledFormat {
  const tokens: Token[] = [];
  const has = new Set<string>();
  let lit = '';
  const flushLit = (): void => {
    if (lit === '') return;
    // Split literal text into non-space runs and whitespace runs.
    for (const part of lit.split(/([ \t\r\b]+)/)) {
      if (part === '') continue;
      if (/^[ \t\r\b]+$/.test(part)) {
        if (tokens.at(-1)?.kind !== 'ws') tokens.push({ kind: 'ws' });
      } else {
        tokens.push({ kind: 'lit', bytes: Buffer.from(part, 'utf8') });
      }
    }
    lit = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '%') {
      const next = text[i + 1];
      if (next === '%' || next === undefined) {
        lit += '%';
        i += next === undefined ? 1 : 2;
        continue;
      }
      let j = i + 1;
      let minus = false;
      if (text[j] === '-') {
        minus = true;
        j++;
      }
      let width = 0;
      let hasWidth = false;
      while (j < text.length && text[j]! >= '0' && text[j]! <= '9') {
        width = width * 10 + Number(text[j]);
        hasWidth = true;
        j++;
      }
      const spec = text[j];
      i = j + 1;
      if (spec === undefined) break; // "%5" at the end prints nothing
      if (!FIELD_LETTERS.includes(spec)) {
        // print_field's default case prints the letter itself (padded to the width).
        if (spec === '\n') {
          flushLit();
          tokens.push({ kind: 'nl' });
        } else {
          lit += ' ' + spec + ' ';
        }
        continue;
      }
      flushLit();
      tokens.push({ kind: 'field', spec, width, hasWidth, minus });
      has.add(spec);
      continue;
    }
    if (ch === '\\') {
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case 'n': flushLit(); tokens.push({ kind: 'nl' }); break;
        case 't': lit += '\t'; break;
        case 'r': lit += '\r'; break;
        case 'b': lit += '\b'; break;
        default:
          // blkparse: "Invalid escape char in format" and exit(1).
          throw new FormatSpecError(`invalid escape "\\${e ?? ''}" in format (blkparse accepts \\b \\n \\r \\t)`);
      }
      continue;
    }
    if (ch === '\n') {
      flushLit();
      tokens.push({ kind: 'nl' });
    } else {
      lit += ch;
    }
    i++;
  }
  flushLit();
  const lines = Math.max(1, tokens.filter((t) => t.kind === 'nl').length);
  if (!tokens.some((t) => t.kind === 'nl')) {
    throw new FormatSpecError(
      `format ${JSON.stringify(text)} has no \\n: blkparse would print every event on one line, which cannot be split into records`,
    );
  }
  if (!has.has('a') && letters.length > 1) {
    throw new FormatSpecError(
      `format ${JSON.stringify(text)} has no %a and applies to several actions (${letters}): the action of a line cannot be known` +
        ` (a trace of one action, as \`blktrace -a complete\`: give it as -F, e.g. "-F 'C,${text}'")`,
    );
  }
  return { text, tokens, letters, lines, has, ...program(tokens) };
}

function program(tokens: Token[]): Pick<CompiledFormat, 'ops' | 'args' | 'widths' | 'lits'> {
  const n = tokens.length;
  const ops = new Int32Array(n);
  const args = new Int32Array(n);
  const widths = new Int32Array(n);
  const lits: Buffer[] = [];
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    switch (t.kind) {
      case 'ws': ops[i] = next?.kind === 'nl' ? OP.wsBeforeNl : OP.ws; break;
      case 'nl': ops[i] = OP.nl; break;
      case 'lit': ops[i] = OP.lit; args[i] = lits.push(t.bytes) - 1; break;
      case 'field':
        ops[i] = t.spec === 'C' ? OP.comm : OP.field;
        args[i] = t.spec.charCodeAt(0);
        widths[i] = t.hasWidth && next?.kind === 'field' ? t.width : 0;
        break;
    }
  });
  return { ops, args, widths, lits };
}

/** One `-f fmt` or `-F A,fmt` option. */
export interface FormatOption {
  letter?: string;
  format: string;
}

/**
 * Read `--blkparse-format`: either blkparse's own options as typed on its
 * command line (`-f '…' -F 'Q,…'`, quotes as in a shell), a single `A,fmt`
 * (one -F), or a bare format (-f).
 */
export function parseFormatOption(value: string): FormatOption[] {
  const v = value.trim();
  if (/^(-f|-F|--format|--format-spec)(\s|=|$)/.test(v)) return parseArgv(shellWords(v));
  return [optionFor(/^[A-Z],/.test(value) && VALID_SPECS.includes(value[0]!) ? '-F' : '-f', value)];
}

function optionFor(flag: string, arg: string): FormatOption {
  if (flag === '-F') {
    const letter = arg[0];
    if (!letter || !VALID_SPECS.includes(letter)) throw new FormatSpecError(`bad -F action letter "${letter ?? ''}" (one of ${VALID_SPECS})`);
    if (arg[1] !== ',') throw new FormatSpecError(`-F needs "A,format", got ${JSON.stringify(arg)}`);
    return { letter, format: arg.slice(2) };
  }
  return { format: arg };
}

function parseArgv(words: string[]): FormatOption[] {
  const out: FormatOption[] = [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    let arg: string | undefined;
    const eq = w.indexOf('=');
    if (w.startsWith('--') && eq > 0) {
      arg = w.slice(eq + 1);
      w = w.slice(0, eq);
    } else if (/^-[fF]./.test(w)) {
      arg = w.slice(2);
      w = w.slice(0, 2);
    }
    // blkparse's long names are swapped against its man page: --format is -F, --format-spec is -f.
    const flag = w === '-f' || w === '--format-spec' ? '-f' : w === '-F' || w === '--format' ? '-F' : undefined;
    if (!flag) throw new FormatSpecError(`unexpected "${w}" in --blkparse-format (only -f and -F options)`);
    if (arg === undefined) {
      arg = words[++i];
      if (arg === undefined) throw new FormatSpecError(`${w} needs a format`);
    }
    out.push(optionFor(flag, arg));
  }
  return out;
}

/** Split like a POSIX shell: single quotes literal, double quotes literal except \" and \\. */
function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new FormatSpecError('unterminated \' in --blkparse-format');
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) i++;
        cur += s[i++];
      }
      if (i >= s.length) throw new FormatSpecError('unterminated " in --blkparse-format');
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * Apply the options in blkparse's way and compile one format per distinct
 * string: -F sets a letter (a later -F for the same letter wins), -f fills
 * the letters no -F set (the first -f wins).
 */
export function compileOptions(options: FormatOption[]): CompiledFormat[] {
  if (options.length === 0) throw new FormatSpecError('empty --blkparse-format');
  const byLetter = new Map<string, string>();
  for (const o of options) if (o.letter) byLetter.set(o.letter, o.format);
  for (const o of options) {
    if (o.letter) continue;
    for (const l of VALID_SPECS) if (!byLetter.has(l)) byLetter.set(l, o.format);
  }
  const groups = new Map<string, string>();
  for (const [l, f] of byLetter) groups.set(f, (groups.get(f) ?? '') + l);
  return [...groups].map(([f, letters]) => compileFormat(f, letters));
}
