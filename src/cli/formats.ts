/** `blkaudit formats`: every input format, with an example and how it is detected. */
import type { Command } from 'commander';
import { CATALOG as FORMATS } from '../formats/catalog.js';
import { EXIT } from './options.js';
import { Output } from './output.js';

export function registerFormats(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('formats')
    .description('list every input format blkaudit reads, with a one-line example and how it is detected')
    .option('--json', 'print the list as JSON')
    .action((opts: { json?: boolean }) => run(async () => {
      const out = new Output();
      if (opts.json) {
        out.write(JSON.stringify(FORMATS.map((f) => ({
          name: f.name, title: f.title, kind: f.kind, produces: f.produces, example: f.example, detectedBy: f.detectedBy,
        })), null, 2) + '\n');
      } else {
        for (const f of FORMATS) {
          out.write(`${f.name}  (${f.kind})\n  ${f.title}\n  example:  ${f.example}\n  detected: ${f.detectedBy}\n\n`);
        }
        out.write('Detection reads the first 64 KiB of each input (after gunzip), never the file name; --format NAME overrides.\n');
      }
      await out.end();
      return EXIT.clean;
    }));
}
