// Keeps Strata from writing into its own repository. A tracked folder or a
// restore target is compared with the repository by where it really is
// (symbolic links resolved, then device and inode), never by the text of its
// path: after `ln -s REPO /tmp/l`, "/tmp/l" is the repository, and restoring a
// file named `config` there would overwrite the repository's own. Both hosts
// (the CLI through the engine's operations, the app service) ask this module;
// the restorers also check each directory they enter against the repository
// (RepositoryFence), for targets that hold it.

import type { BigIntStats } from 'node:fs';
import { readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { stateHome } from './state-home';
import { isAtOrBelow } from './paths';

/** How a path lies against the repository: the repository itself, inside it, or a folder holding it. */
export type RepositoryOverlap = 'repository' | 'inside' | 'contains';

/** What the caller wanted to do with the path, for the message ("cannot track X: ..."). */
export type RepositoryUse = 'track' | 'restore into' | 'put a remote in' | 'move batches aside into';

/** The path is the repository, inside it, or (for tracked folders) holds it. Code INVALID_ARGUMENT: exit 2, API field. */
export class RepositoryOverlapError extends EngineError {
  constructor(
    readonly path: string,
    readonly repository: string,
    readonly overlap: RepositoryOverlap,
    use: RepositoryUse,
    real: string,
  ) {
    const how = overlap === 'repository' ? 'is the repository' : overlap === 'inside' ? 'is inside the repository' : 'contains the repository';
    // Say where an alias leads: the path's text alone does not show it.
    const via = real !== resolve(path) ? ` (it leads to ${real})` : '';
    const instead = overlap === 'contains' ? 'choose a folder that does not hold it' : 'choose a folder outside it';
    super('INVALID_ARGUMENT', `cannot ${use} ${path}: it ${how} ${repository}${via}; ${instead}`);
    this.name = 'RepositoryOverlapError';
  }
}

/** The directory of a repository on this machine: a local backend's (and the local view's) location is its root directory. */
export function repositoryDirectory(repo: { backend: { location: string } }): string {
  return repo.backend.location;
}

/**
 * Refuses a folder to track that is the repository, inside it, or holds it
 * (its scans would record the repository's own writes, forever); the same for
 * this user's Strata state folder (fs/state-home.ts), which every command
 * writes to.
 */
export async function guardTrackedFolder(path: string, repositoryDir: string, stateDir: string = stateHome()): Promise<void> {
  await refuse(path, repositoryDir, 'track', ['repository', 'inside', 'contains']);
  const found = await repositoryOverlap(path, stateDir);
  if (found) throw new StateFolderOverlapError(path, found.repository);
}

/** A folder to track is, holds or lies inside Strata's own state folder. Code INVALID_ARGUMENT. */
export class StateFolderOverlapError extends EngineError {
  constructor(readonly path: string, stateDir: string) {
    super('INVALID_ARGUMENT', `cannot track ${path}: it overlaps ${stateDir}, where Strata keeps this machine's state (every command writes there); choose another folder`);
    this.name = 'StateFolderOverlapError';
  }
}

/**
 * Refuses a restore target that is the repository or inside it. A target that
 * holds the repository is allowed (restoring into a home folder that holds
 * ~/Strata is ordinary); the restorers never follow a link out of the target.
 */
export async function guardRestoreTarget(path: string, repositoryDir: string): Promise<void> {
  await refuse(path, repositoryDir, 'restore into', ['repository', 'inside']);
}

/** Refuses a folder to move damaged objects aside into (`repair versions --move-aside`) that is the repository or inside it. */
export async function guardMoveAsideTarget(path: string, repositoryDir: string): Promise<void> {
  await refuse(path, repositoryDir, 'move batches aside into', ['repository', 'inside']);
}

/**
 * A path a restore refuses because it leads into the repository (through a
 * target that holds it). Code UNSAFE_PATH; the restorers catch it, name the
 * path as refused and restore the rest.
 */
export class InsideRepositoryError extends EngineError {
  constructor(readonly path: string, readonly reason: string) {
    super('UNSAFE_PATH', `cannot restore ${path}: ${reason}`);
    this.name = 'InsideRepositoryError';
  }
}

/**
 * The repository's root directory as the restorers meet it. They never follow
 * a link and never leave their target, and the target is not inside the
 * repository (guardRestoreTarget), so the only way a restored path can land in
 * the repository is through its root directory itself, met as an existing
 * directory of a target that holds it. Comparing each existing directory they
 * enter (the lstat they take anyway) with the root's device and inode, found
 * once here, keeps every restored path out.
 */
export class RepositoryFence {
  private constructor(readonly repository: string, private readonly id: string) {}

  /** The fence around the repository at `repositoryDir`; undefined when there is none on this machine (a remote's URL). */
  static async around(repositoryDir: string): Promise<RepositoryFence | undefined> {
    if (!isAbsolute(repositoryDir)) return undefined;
    const repository = await realPathOf(repositoryDir);
    const id = await identity(repository);
    return id === undefined ? undefined : new RepositoryFence(repository, id);
  }

  /** Whether a directory, by its stat (taken with `bigint: true`), is the repository's root. */
  isRepository(st: BigIntStats): boolean {
    return `${st.dev}:${st.ino}` === this.id;
  }

  /**
   * Throws InsideRepositoryError for `path` (target-relative) when the
   * directory `st` it leads through is the repository.
   */
  check(st: BigIntStats, path: string): void {
    if (this.isRepository(st)) throw new InsideRepositoryError(path, this.reason(false));
  }

  /** Why a path is refused: it names the repository's folder itself, or something in it. */
  reason(isRepository: boolean): string {
    return `it ${isRepository ? 'is the repository' : 'is inside the repository'} ${this.repository}; a restore never writes there`;
  }
}

/** Refuses a folder remote in the repository itself or inside it. */
export async function guardRemoteFolder(path: string, repositoryDir: string): Promise<void> {
  await refuse(path, repositoryDir, 'put a remote in', ['repository', 'inside']);
}

async function refuse(path: string, repositoryDir: string, use: RepositoryUse, refused: RepositoryOverlap[]): Promise<void> {
  const found = await repositoryOverlap(path, repositoryDir);
  if (found && refused.includes(found.overlap)) {
    throw new RepositoryOverlapError(path, found.repository, found.overlap, use, found.real);
  }
}

/**
 * How `path` (which need not exist yet) lies against the repository at
 * `repositoryDir`, by real path and by device and inode (a bind mount or a
 * case-insensitive file system gives one directory several real paths);
 * undefined when they are apart, or when there is no repository directory on
 * this machine (a remote's URL).
 */
export async function repositoryOverlap(
  path: string,
  repositoryDir: string,
): Promise<{ overlap: RepositoryOverlap; repository: string; real: string } | undefined> {
  if (!isAbsolute(repositoryDir)) return undefined;
  const repository = await realPathOf(repositoryDir);
  const repositoryId = await identity(repository);
  if (repositoryId === undefined) return undefined; // nothing there to write into
  const real = await realPathOf(resolve(path));
  const found = (overlap: RepositoryOverlap) => ({ overlap, repository, real });

  if (real === repository) return found('repository');
  if (isAtOrBelow(real, repository)) return found('inside');
  const realId = await identity(real);
  if (realId === repositoryId) return found('repository');
  for (const ancestor of ancestorsOf(real)) {
    if ((await identity(ancestor)) === repositoryId) return found('inside');
  }
  if (isAtOrBelow(repository, real)) return found('contains');
  if (realId !== undefined) {
    for (const ancestor of ancestorsOf(repository)) {
      if ((await identity(ancestor)) === realId) return found('contains');
    }
  }
  return undefined;
}

/** Symbolic links followed before giving up, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

/**
 * The real path of `path`, which need not exist: the real path of its nearest
 * existing ancestor, with the missing rest appended. A dangling symbolic link
 * on the way is followed to where it points (writing through it, with mkdir
 * -p, would create its target there).
 */
async function realPathOf(path: string, links = 0): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    // Missing (or unreadable): resolve the parent, then this name.
  }
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  const realParent = await realPathOf(parent, links);
  let link: string | undefined;
  try {
    link = await readlink(join(realParent, basename(absolute)));
  } catch {
    link = undefined; // not a link: a name yet to be made
  }
  if (link !== undefined && links < MAX_LINKS) return realPathOf(resolve(realParent, link), links + 1);
  return join(realParent, basename(absolute));
}

/** Device and inode of what `path` names (links followed), or undefined when nothing is there. */
async function identity(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The parents of an absolute path, nearest first, up to the root. */
function* ancestorsOf(path: string): Generator<string> {
  for (let current = dirname(path); ; current = dirname(current)) {
    yield current;
    if (dirname(current) === current) return;
  }
}

/** Whether absolute `child` is `parent` or below it, by text (of real paths here). */
