/**
 * Untrusted text (comm names, trace lines, paths) on its way to a terminal or
 * a text report: one escaping rule for every renderer (cli/, report/, stats/).
 */

/** Strip control and escape sequences from untrusted text before it reaches a terminal. */
export function safeText(s: string): string {
  // C0 controls (except tab), DEL, C1 controls (incl. CSI 0x9b), and lone ESC.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
