// Settings: the author recorded in new versions (local state), remotes
// (local state; checked field by field, then added as the CLI adds them,
// ops/remotes.ts: outside the repository, reached, then kept),
// the placement policy file (JSON text, checked setting by setting) and a
// course's ignore rules (its `.strataignore`, gitignore syntax).

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RemoteInfo, Settings } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { EngineError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { RepositoryOverlapError } from '../fs/repository-guard';
import { addRemote as addRemoteTo, listRemotes, normaliseLocation, reachRemote, removeRemote as removeRemoteFrom, validateRemote, type RemoteConfig } from '../ops/remotes';
import { parsePolicy, policyPath, savePolicy, defaultPolicy } from '../tiers/policy';
import { authorOf, setAuthor as setAuthorOf } from '../ops/author';
import { IGNORE_FILE } from '../versions/ignore-rules';
import type { AppContext } from './context';
import { findCourse } from './courses';
import { sentence } from './notices';
import { withTimeout } from './timeout';

/** Longest ignore file the app writes. */
const MAX_IGNORE_RULES = 64 * 1024;
/** How long adding a remote waits for it to answer. */
const REACH_TIMEOUT_MS = 15_000;

export async function getSettings(ctx: AppContext): Promise<Settings> {
  const { state } = await ctx.session.versions();
  return { author: authorOf(state), remotes: (await listRemotes(ctx.session)).map(remoteInfo), policy: await policyText(ctx.session.dir) };
}

function remoteInfo(r: RemoteConfig): RemoteInfo {
  return { name: r.name, hot: r.hot, ...(r.cold ? { cold: r.cold } : {}) };
}

async function policyText(dir: string): Promise<string> {
  try {
    return await readFile(await policyPath(dir), 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    return `${JSON.stringify(defaultPolicy(), null, 2)}\n`;
  }
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

/** Checks a remote field by field (name, hot, cold), reaches it, then keeps it. */
export async function addRemote(ctx: AppContext, given: { name: string; hot: string; cold?: string }): Promise<Settings> {
  let config: RemoteConfig;
  try {
    config = validateRemote({ name: given.name, hot: 'file:///' });
  } catch (error) {
    throw new StrataError('INVALID_ARGUMENT', `The name must be letters, digits, ".", "_" or "-" (up to 64), like "backup": ${errorMessage(error)}`, 'name');
  }
  if ((await listRemotes(ctx.session)).some((r) => r.name === given.name)) throw new StrataError('INVALID_ARGUMENT', `A remote named "${given.name}" exists; remove it first.`, 'name');
  const location = (fieldName: 'hot' | 'cold', url: string): string => {
    if (!/^(s3|file):\/\//.test(url) && !url.startsWith('/')) {
      throw new StrataError('INVALID_ARGUMENT', 'Enter a full folder path, a file:///path URL or an s3://bucket/prefix URL.', fieldName);
    }
    try {
      return normaliseLocation(url);
    } catch (error) {
      throw new StrataError('INVALID_ARGUMENT', errorMessage(error), fieldName);
    }
  };
  config = { name: config.name, hot: location('hot', given.hot), ...(given.cold ? { cold: location('cold', given.cold) } : {}) };
  try {
    await addRemoteTo(ctx.session, config, { reach });
  } catch (error) {
    // A folder remote in the repository itself (through any link) would copy the repository into itself.
    if (error instanceof RepositoryOverlapError) {
      const fieldName = config.hot.startsWith('file://') && fileURLToPath(config.hot) === error.path ? 'hot' : 'cold';
      throw new StrataError('INVALID_ARGUMENT', sentence(error.message), fieldName);
    }
    throw error;
  }
  return getSettings(ctx);
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
  if (!(await listRemotes(ctx.session)).some((r) => r.name === name)) throw new StrataError('NOT_FOUND', `There is no remote named "${name}".`, 'name');
  await removeRemoteFrom(ctx.session, name);
  return getSettings(ctx);
}

/** Replaces the policy file: JSON, every setting checked (the error names the one at fault); saved with the defaults filled in. */
export async function setPolicy(ctx: AppContext, text: string): Promise<Settings> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StrataError('INVALID_ARGUMENT', `The policy is not valid JSON: ${errorMessage(error)}`, 'policy');
  }
  let policy;
  try {
    policy = parsePolicy(value, 'policy');
  } catch (error) {
    throw new StrataError('INVALID_ARGUMENT', errorMessage(error), 'policy');
  }
  await savePolicy(ctx.session.dir, policy);
  (await ctx.session.versions()).media = policy.media; // what counts as media decides new chunks' pack lanes
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
