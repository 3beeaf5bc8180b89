/**
 * Just enough of POSIX shell word splitting to run the command lines the
 * README and `--help` show: words, '…' and "…" quoting, backslash escapes,
 * and the operators `|`, `&&`, `>` and `#` comments. No expansion of any
 * kind: these lines are documentation, not scripts.
 */
export type ShellToken = { word: string } | { op: '|' | '&&' | '>' };

export function shellTokens(line: string): ShellToken[] {
  const out: ShellToken[] = [];
  let word = '';
  let inWord = false;
  const end = () => {
    if (inWord) out.push({ word });
    word = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in ${line}`);
      word += line.slice(i + 1, j);
      inWord = true;
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        // inside "…" a backslash escapes only $ ` " \ and newline (POSIX 2.2.3)
        if (line[j] === '\\' && '$`"\\'.includes(line[j + 1] ?? '')) j++;
        word += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated " in ${line}`);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      word += line[++i] ?? '';
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      end();
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === '|' || c === '>') {
      end();
      out.push({ op: c });
    } else if (c === '&' && line[i + 1] === '&') {
      end();
      out.push({ op: '&&' });
      i++;
    } else {
      word += c;
      inWord = true;
    }
  }
  end();
  return out;
}

/** One command of a pipeline: its words and where its stdout goes (`> file`). */
export interface Stage {
  words: string[];
  stdoutTo?: string;
}

/** `a | b > f && c` → [[a, b(>f)], [c]]: pipelines joined by &&. */
export function pipelines(line: string): Stage[][] {
  const out: Stage[][] = [[{ words: [] }]];
  let redirect = false;
  for (const t of shellTokens(line)) {
    const pipe = out[out.length - 1]!;
    const stage = pipe[pipe.length - 1]!;
    if ('word' in t) {
      if (redirect) stage.stdoutTo = t.word;
      else stage.words.push(t.word);
      redirect = false;
    } else if (t.op === '>') redirect = true;
    else if (t.op === '|') pipe.push({ words: [] });
    else out.push([{ words: [] }]);
  }
  return out.filter((p) => p.some((s) => s.words.length > 0));
}
