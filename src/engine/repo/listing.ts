// Listing a repository's objects by kind: the one place where names found in
// storage are matched against the object-name grammar (format.ts). Anything
// else under a kind's prefix is a stray: a file another program put there (a
// Finder `.DS_Store`, a sync tool's `.foo.tmp`, `desktop.ini`, an editor's
// `x~`). Strays are never read as objects (one would fail every listing on
// every device that syncs it), never copied, never deleted (they are not
// ours), and never dropped without a word: each is reported.

import { printable } from '../printable';
import type { Backend, ObjectInfo } from '../storage/backend';
import { isObjectName, OBJECT_NAMES, type ListedKind } from './format';

/**
 * The strays found through one repository, each reported once to whoever
 * listens (the CLI prints a line, `check` lists them), however often the same
 * prefix is listed.
 */
export class StrayLog {
  private readonly found = new Set<string>();
  private readonly listeners = new Set<(name: string) => void>();

  /** A function, so that it can be handed to listObjects as it is. */
  readonly report = (name: string): void => {
    if (this.found.has(name)) return;
    this.found.add(name);
    for (const listener of this.listeners) listener(name);
  };

  /** Calls `listener` with every stray found so far (found while opening, say) and each one found later. */
  listen(listener: (name: string) => void): () => void {
    for (const name of this.found) listener(name);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every stray found so far, sorted. */
  names(): string[] {
    return [...this.found].sort();
  }
}

/** What to tell the user about a stray (`where`: another place than the repository at hand, e.g. a remote). */
export function strayMessage(name: string, where?: string): string {
  return `ignoring ${printable(name)}${where ? ` on ${where}` : ''}: not a repository object (a file another program put there?); it is not read, copied or deleted`;
}

/** The objects of `kind` in `backend`, sorted by name; every other name under the kind's prefix is reported to `onStray`. */
export async function listObjects(backend: Backend, kind: ListedKind, onStray?: (name: string) => void): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const info of backend.list(OBJECT_NAMES[kind].prefix)) {
    if (isObjectName(kind, info.name)) objects.push(info);
    else onStray?.(info.name);
  }
  return objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
