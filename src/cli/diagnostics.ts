/** Warnings about skipped input go to stderr, never to stdout (which carries data). */
import type { Report } from '../model/report.js';
import { safeText } from './output.js';

export function printSkipSummary(report: Report, stream: NodeJS.WritableStream = process.stderr): void {
  for (const c of report.diagnostics) {
    if (c.severity === 'info') continue;
    const ex = c.examples[0];
    const where = ex ? ` (first: ${safeText(ex.source)}:${ex.locKind === 'offset' ? '@' : ''}${ex.loc})` : '';
    stream.write(`blkaudit: warning: ${c.count} × ${safeText(c.reason)}${where}\n`);
  }
}
