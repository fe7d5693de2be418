// Warnings about stray files among a repository's objects (engine/repo/
// listing.ts): one line on stderr per file, once per invocation, whichever
// part of the command (opening, listing, sync) came across it.

import { strayMessage } from '../engine/ops/repository';

const warned = new Set<string>();

/** Warns about stray `name` (on `where`, e.g. a remote, if not the repository itself), unless already done. */
export function warnStray(name: string, where?: string): void {
  const key = `${where ?? ''}\0${name}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.stderr.write(`warning: ${strayMessage(name, where)}\n`);
}
