// Where one path lies relative to another, by their names (callers resolve
// symbolic links first where that matters: repository-guard.ts). A name
// that merely starts with two dots ("..drafts") is inside, not above.

import { isAbsolute, relative, sep } from 'node:path';

/** Whether `child` is `parent` or lies below it. */
export function isAtOrBelow(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Whether `child` lies below `parent` (not `parent` itself). */
export function isBelow(child: string, parent: string): boolean {
  return relative(parent, child) !== '' && isAtOrBelow(child, parent);
}
