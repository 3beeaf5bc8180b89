/** Detection of strace output without its parser (loaded only when an input is read as strace). */
import type { FormatMeta } from '../types.js';

/** A strace line: optional pid ("123 " or "[pid 123] "), optional clock, then "name(" or a resumed/signal line. */
const LINE = /^(?:\[pid\s+\d+\]\s+|\d+\s+(?=\d|[a-z_<+-]))?(?:\d{1,12}\.\d{1,9}\s+|\d\d:\d\d:\d\d(?:\.\d{1,9})?\s+)?(?:[a-z_][a-z0-9_]*\(.*(?:\)\s+=\s+\S+.*|<unfinished \.\.\.>)|<\.\.\. [a-z_0-9]+ resumed>.*|---\s.*---|\+\+\+\s.*\+\+\+)$/;

/** Share of strace-shaped lines among the first complete lines of the head. */
export function straceConfidence(head: Buffer): number {
  if (head.indexOf(0) >= 0) return 0;
  const last = head.lastIndexOf(10);
  const text = head.toString('utf8', 0, last < 0 ? head.length : last);
  let yes = 0;
  let all = 0;
  let calls = 0;
  for (const line of text.split('\n', 400)) {
    const t = line.replace(/\r$/, '');
    if (t.trim() === '') continue;
    all++;
    if (LINE.test(t)) {
      yes++;
      if (!t.includes('---') && !t.includes('+++')) calls++;
    }
  }
  if (all === 0 || calls === 0) return 0;
  const share = yes / all;
  return share < 0.5 ? 0 : 0.5 + 0.45 * share;
}

export const straceMeta: FormatMeta = {
  name: 'strace',
  title: 'strace -f -ttt -T -y output: the application\'s sync calls (fsync, fdatasync, O_DSYNC writes, …)',
  example: '10621 1796537001.927884 fdatasync(26</pgdata/pg_wal/000000010000000000000002>) = 0 <0.000370>',
  detectedBy: 'lines of "[pid] [clock] name(args) = ret [<dur>]", "<unfinished ...>" / "<... name resumed>" pairs',
  kind: 'text',
  produces: 'app',
  detect: straceConfidence,
};
