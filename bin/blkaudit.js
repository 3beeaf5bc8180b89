#!/usr/bin/env -S node --max-semi-space-size=1
import v8 from 'node:v8';

// V8's young generation is bounded at 1 MiB semi-spaces (the shebang above;
// the flag only works at startup): the analysis makes short-lived garbage at
// a steady rate, scavenges stay cheap, and peak RSS on the 10 M-event bench
// drops from 130-180 to about 90-110 MiB at the same speed (README,
// Performance). Run as `node bin/blkaudit.js` the shebang is not read; then
// at least keep the young generation from growing past its initial size.
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) v8.setFlagsFromString('--semi-space-growth-factor=1');
const { main } = await import('../dist/src/cli/main.js');

main(process.argv).then((code) => { process.exitCode = code; });
