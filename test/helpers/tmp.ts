/**
 * Temporary directories for tests, removed when the test process exits (each test file runs in its own
 * process), so a run leaves nothing in the system's temp directory — failed tests included.
 * BLKAUDIT_KEEP_TEST_TMP=1 keeps them for a look.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.on('exit', () => {
  if (process.env['BLKAUDIT_KEEP_TEST_TMP'] === '1') return;
  for (const d of made) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort: a file still open elsewhere stays behind
    }
  }
});

/** A fresh directory under the system temp directory, named `prefix` + random characters. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
