// Settings: the author recorded in new versions (local state), remotes
// (local state; added as the CLI adds them, ops/remotes.ts: checked part by
// part, outside the repository, reached, then kept; each refusal on its
// field), the placement policy file (JSON text, checked setting by setting,
// ops/tiers.ts; a refusal on its field) and a course's ignore rules (its
// `.strataignore`, gitignore syntax).

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RemoteInfo, Settings } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { EngineError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { RepositoryOverlapError } from '../fs/repository-guard';
import { ArgumentError, NameTakenError } from '../ops/argument-error';
import { authorOf, setAuthor as setAuthorOf } from '../ops/author';
import { addRemote as addRemoteTo, listRemotes, reachRemote, remoteFolder, removeRemote as removeRemoteFrom, type RemoteConfig } from '../ops/remotes';
import { policyText, setPolicy as setPolicyOf } from '../ops/tiers';
import { IGNORE_FILE } from '../versions/ignore-rules';
import type { AppContext } from './context';
import { findCourse, withField } from './courses';
import { sentence } from './notices';
import { withTimeout } from './timeout';

/** Longest ignore file the app writes. */
const MAX_IGNORE_RULES = 64 * 1024;
/** How long adding a remote waits for it to answer. */
const REACH_TIMEOUT_MS = 15_000;

export async function getSettings(ctx: AppContext): Promise<Settings> {
  const { state } = await ctx.session.versions();
  return { author: authorOf(state), remotes: (await listRemotes(ctx.session)).map(remoteInfo), policy: await policyText(ctx.session) };
}

function remoteInfo(r: RemoteConfig): RemoteInfo {
  return { name: r.name, hot: r.hot, ...(r.cold ? { cold: r.cold } : {}) };
}

export async function setAuthor(ctx: AppContext, author: string): Promise<Settings> {
  try {
    await setAuthorOf(ctx.session, author);
  } catch (error) {
    if (error instanceof EngineError && error.code === 'INVALID_ARGUMENT') throw new StrataError('INVALID_ARGUMENT', 'The author must be 1 to 512 characters, like "Ada Lovelace <ada@example.org>".', 'author');
    throw error;
  }
  return getSettings(ctx);
}

/**
 * Adds a remote as the CLI does (ops/remotes.ts: checked part by part, kept
 * out of the repository, reached, then kept), each refusal on its field. The
 * app asks for full paths: a relative one would be relative to wherever the
 * engine runs.
 */
export async function addRemote(ctx: AppContext, given: { name: string; hot: string; cold?: string }): Promise<Settings> {
  for (const part of ['hot', 'cold'] as const) {
    const url = given[part];
    if (url !== undefined && !/^(s3|file):\/\//.test(url) && !url.startsWith('/')) {
      throw new StrataError('INVALID_ARGUMENT', 'Enter a full folder path, a file:///path URL or an s3://bucket/prefix URL.', part);
    }
  }
  try {
    await addRemoteTo(ctx.session, given, { reach });
  } catch (error) {
    throw remoteRefusal(error, given);
  }
  return getSettings(ctx);
}

/** A refusal of addRemote on the field at fault, in the app's words where it has its own. */
function remoteRefusal(error: unknown, given: { hot: string }): unknown {
  if (error instanceof NameTakenError) return new StrataError('INVALID_ARGUMENT', `A remote named "${error.taken}" exists; remove it first.`, 'name');
  if (error instanceof ArgumentError && error.argument === 'name') {
    return new StrataError('INVALID_ARGUMENT', `The name must be letters, digits, ".", "_" or "-" (up to 64), like "backup": ${error.message}`, 'name');
  }
  if (error instanceof ArgumentError) return withField(error, error.argument);
  // A folder remote in the repository itself (through any link) would copy the repository into itself.
  if (error instanceof RepositoryOverlapError) return new StrataError('INVALID_ARGUMENT', sentence(error.message), remoteFolder(given.hot) === error.path ? 'hot' : 'cold');
  return error;
}

/** Reaches the remote (reachRemote: opened, a folder remote's folders made, and listed), waiting a while at most. */
async function reach(config: RemoteConfig): Promise<void> {
  try {
    await withTimeout(reachRemote(config), REACH_TIMEOUT_MS, 'it');
  } catch (error) {
    throw new StrataError('UNAVAILABLE', `The remote cannot be reached: ${errorMessage(error)}`, 'hot');
  }
}

export async function removeRemote(ctx: AppContext, name: string): Promise<Settings> {
  try {
    await removeRemoteFrom(ctx.session, name);
  } catch (error) {
    // Its one refusal: no remote of that name (none at all, says the CLI, is a usage error; here it is one more name not found).
    if (error instanceof EngineError && (error.code === 'NOT_FOUND' || error.code === 'INVALID_ARGUMENT')) throw new StrataError('NOT_FOUND', `There is no remote named "${name}".`, 'name');
    throw error;
  }
  return getSettings(ctx);
}

/** Replaces the policy file: JSON, every setting checked (ops/tiers.ts: a refusal names the one at fault); saved with the defaults filled in. */
export async function setPolicy(ctx: AppContext, text: string): Promise<Settings> {
  try {
    await setPolicyOf(ctx.session, text); // what counts as media decides new chunks' pack lanes at once
  } catch (error) {
    throw withField(error, 'policy');
  }
  await ctx.coursesChanged(); // course states come from the policy
  return getSettings(ctx);
}

export async function ignoreRules(ctx: AppContext, course: string): Promise<{ rules: string }> {
  const folder = findCourse((await ctx.session.versions()).state, course);
  try {
    return { rules: await readFile(join(folder.path, IGNORE_FILE), 'utf8') };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { rules: '' };
    throw error;
  }
}

/** Writes the course's `.strataignore` (empty rules remove it); the watcher picks the new rules up. */
export async function setIgnoreRules(ctx: AppContext, course: string, rules: string): Promise<{ rules: string }> {
  const folder = findCourse((await ctx.session.versions()).state, course);
  if (Buffer.byteLength(rules) > MAX_IGNORE_RULES) throw new StrataError('INVALID_ARGUMENT', `Ignore rules are limited to ${MAX_IGNORE_RULES / 1024} KiB.`, 'rules');
  const path = join(folder.path, IGNORE_FILE);
  if (rules.trim() === '') await rm(path, { force: true });
  else await writeFileAtomic(path, rules.endsWith('\n') ? rules : `${rules}\n`, 0o644);
  return ignoreRules(ctx, course);
}
