// Text from a disk, another device or another program (file and folder
// names, stray object names, authors, messages) made safe to show: the one
// definition every host uses (the CLI's output, the app's activity log and
// alerts, the engine's own warnings). Characters that can change what a
// terminal shows beyond themselves are written as escapes, so a name can
// never move the cursor, change colours, retitle the window or reorder the
// rest of the line. JSON output needs none of this: JSON escapes them itself.

/** `text` with C0 and C1 controls and DEL escaped as \xNN, and invisible reordering and line-breaking marks as \u{NNNN}. */
export function printable(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!unsafeOnTerminal(code)) continue;
    out += text.slice(from, i) + (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * C0 and C1 controls, DEL, and the invisible marks that reorder or break what
 * follows them (bidirectional marks, overrides and isolates; line and
 * paragraph separators).
 */
function unsafeOnTerminal(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
    || code === 0x061c || code === 0x200e || code === 0x200f || code === 0x2028 || code === 0x2029
    || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}
