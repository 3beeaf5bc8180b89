/**
 * What a custom blkparse format cannot show, in words for the report
 * (ParseContext.limitation). Worked out from the fields each format prints.
 */
import type { CompiledFormat } from './format-string.js';

export function formatLimitations(formats: CompiledFormat[], remapSeen: boolean): string[] {
  const out: string[] = [];
  const lacking = (test: (f: CompiledFormat) => boolean): string =>
    formats
      .filter((f) => !test(f))
      .map((f) => f.letters)
      .join('');
  const say = (letters: string, what: string): void => {
    if (letters === '') return;
    const scope = letters.length >= 15 ? 'the format' : `the format of actions ${letters.split('').join(',')}`;
    out.push(`blkparse-custom: ${scope} ${what}`);
  };
  say(lacking((f) => f.has.has('d')), 'has no %d (RWBS): request types and flush/FUA flags are unknown, so flush/FUA rules cannot be checked');
  say(lacking((f) => f.has.has('S')), 'has no %S: sectors are unknown, so overlap and ordering rules cannot be checked');
  say(lacking((f) => f.has.has('n') || f.has.has('N')), 'has no %n or %N: request sizes are unknown');
  say(lacking((f) => f.has.has('D') || (f.has.has('M') && f.has.has('m'))), 'has no %D (or %M and %m): events are put on device 0,0');
  say(lacking((f) => f.has.has('T') || f.has.has('t') || f.has.has('z')), 'prints no time (%T.%t or %z): only the order of events is known');
  say(lacking((f) => !(f.has.has('T') && !f.has.has('t'))), 'has %T without %t: times have a resolution of one second');
  say(lacking((f) => !(f.has.has('t') && !f.has.has('T'))), 'has %t without %T: times are the ns part only and wrap every second');
  say(lacking((f) => f.has.has('a') || !f.letters.includes('U')), 'has no %a: timer unplugs (UT) are read as plain unplugs (U)');
  if (remapSeen) {
    out.push('blkparse-custom: a custom format cannot print a remap\'s source device and sector: A events carry neither, so remap chains cannot be followed');
  }
  return out;
}
