// Text from the repository or a disk shown on a terminal: file names,
// authors, messages and tags may come from another device (or a hostile
// one), so control characters in them are shown escaped and can never move
// the cursor, change colours or rewrite what the terminal shows. --json
// output needs none of this: JSON escapes them itself.

// The one definition is the engine's (printable.ts, re-exported by ops), shared with the app.
export { printable as shown } from '../engine/ops/repository';
