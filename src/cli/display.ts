// Text from the repository or a disk shown on a terminal: file names,
// authors, messages and tags may come from another device (or a hostile
// one), so control characters in them are shown escaped and can never move
// the cursor, change colours or rewrite what the terminal shows. --json
// output needs none of this: JSON escapes them itself.

/** `text` with C0 and C1 controls, DEL (as \xNN) and the invisible direction and line-separator marks (as \u{NNNN}) escaped. */
export function shown(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!unsafe(code)) continue;
    out += text.slice(from, i) + (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

function unsafe(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
    // Marks that reorder or break what follows them on screen (bidirectional overrides, isolates, line and paragraph separators).
    || code === 0x061c || code === 0x200e || code === 0x200f || code === 0x2028 || code === 0x2029
    || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}
