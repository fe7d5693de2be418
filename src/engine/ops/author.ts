// Who new versions are recorded as: $STRATA_AUTHOR, else the author set on
// this machine (`strata config set author`, the app's Settings), else
// user@host. Kept in this machine's state, not in the repository.

import { hostname } from 'node:os';
import { EngineError } from '../errors';
import { userName } from '../user-name';
import type { LocalState } from '../versions/local-state';
import type { Session } from './session';

/** The author recorded in new versions, given this machine's state. */
export function authorOf(state: LocalState): string {
  const fromEnv = process.env.STRATA_AUTHOR?.trim();
  if (fromEnv) return fromEnv;
  const set = state.author.get();
  if (set) return set;
  return `${userName() ?? 'unknown'}@${hostname()}`;
}

/** The author recorded in new versions. */
export async function author(s: Session): Promise<string> {
  return authorOf((await s.versions()).state);
}

/** Sets the author this machine records (1 to 512 characters, trimmed); $STRATA_AUTHOR still wins while set. */
export async function setAuthor(s: Session, value: string): Promise<void> {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > 512) throw new EngineError('INVALID_ARGUMENT', 'author must be 1 to 512 characters, like "Ada Lovelace <ada@example.org>"');
  await (await s.versions()).state.author.set(trimmed);
}
