// Where a repository's machine state lives: this machine's tracked folders,
// remotes and author (state.json), placement policy (tiers.json), tier state
// and activity log (docs/format.md 2.3). They name files, folders, courses and
// remotes in plaintext, so they stay out of the repository folder, which may
// itself sit on a synced or shared disk (9.1): they live in the user's state
// home, one folder per repository, named by a random id that the repository
// folder keeps in `local/state-id` (not secret: it only ties the two together,
// so a moved repository folder keeps its state). The one module that knows
// these paths; it also moves the plaintext files of the older layout
// (`<repository>/local/*`) over on first use.

import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { writeFileAtomic, writeFileExclusive } from './atomic-file';

/** The pointer in the repository folder: `<repository>/local/state-id`. */
const POINTER = 'state-id';
/** In each state folder: the (real) path of the repository folder it belongs to. */
const OWNER = 'repository-path';
const STATE_ID = /^[0-9a-f]{32}$/;

/**
 * The user's state home: `$STRATA_STATE_HOME`, else `$XDG_STATE_HOME/strata`,
 * else the platform's place for per-user application state.
 */
export function stateHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.STRATA_STATE_HOME) return resolve(env.STRATA_STATE_HOME);
  // The XDG spec says a relative value is invalid and is to be ignored.
  if (env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME)) return join(env.XDG_STATE_HOME, 'strata');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'strata', 'state');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'strata', 'state');
  return join(homedir(), '.local', 'state', 'strata');
}

/** This machine's state folder of the repository at `repositoryDir`, made (with its pointer) if it has none yet. */
export async function machineStateDir(repositoryDir: string): Promise<string> {
  const root = resolve(repositoryDir);
  return stateDirOf(root, await legacyFiles(root), await readPointer(root));
}

/**
 * The same, for readers: undefined while the repository has no machine state
 * (nothing is created then, so reading a location that holds no repository
 * leaves nothing behind).
 */
export async function findMachineStateDir(repositoryDir: string): Promise<string | undefined> {
  const root = resolve(repositoryDir);
  const legacy = await legacyFiles(root);
  const pointer = await readPointer(root);
  return pointer === undefined && legacy.length === 0 ? undefined : stateDirOf(root, legacy, pointer);
}

/** The state folder of the repository folder at `root`, given what its `local/` holds (read once by the caller). */
async function stateDirOf(root: string, legacy: string[], pointer: string | undefined): Promise<string> {
  const dir = await claim(root, pointer ?? (await makePointer(root)));
  await migrate(root, legacy, dir);
  return dir;
}

function pointerPath(root: string): string {
  return join(root, 'local', POINTER);
}

async function readPointer(root: string): Promise<string | undefined> {
  const path = pointerPath(root);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const id = text.trim();
  if (!STATE_ID.test(id)) throw new EngineError('DAMAGED', `${path} is damaged (not a state id); remove it to start this machine's state of the repository anew`);
  return id;
}

/** A new pointer; when another process made one first, that one. */
async function makePointer(root: string): Promise<string> {
  const id = newStateId();
  if (await writeFileExclusive(pointerPath(root), `${id}\n`)) return id;
  const theirs = await readPointer(root);
  if (theirs === undefined) throw new EngineError('DAMAGED', `${pointerPath(root)} vanished while it was being made; run the command again`);
  return theirs;
}

function newStateId(): string {
  return randomBytes(16).toString('hex');
}

/** The state folder named by `id`, for the repository folder at `root`. */
async function claim(root: string, id: string): Promise<string> {
  const home = stateHome();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const dir = join(home, id);
  const real = await realpath(root);
  const owner = await readFile(join(dir, OWNER), 'utf8').then((t) => t.replace(/\n$/, ''), () => undefined);
  if (owner === real) return dir;
  // Another folder's state, and that folder still points here: this one is a copy of it.
  if (owner !== undefined && (await readPointer(owner).catch(() => undefined)) === id && (await realpath(owner).catch(() => undefined)) !== real) return fork(root, real, dir);
  // New, or the repository folder was moved here: the state is its own.
  await writeFileAtomic(join(dir, OWNER), `${real}\n`);
  return dir;
}

/**
 * A copied repository folder starts from a copy of the original's state (its
 * own from then on; state.json's repository path then gives it a device of its
 * own): the two never write each other's state.
 */
async function fork(root: string, real: string, from: string): Promise<string> {
  const id = newStateId();
  const dir = join(stateHome(), id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(from)) if (name !== OWNER && !name.endsWith('~')) await copyFile(join(from, name), join(dir, name));
  await writeFileAtomic(join(dir, OWNER), `${real}\n`);
  await writeFileAtomic(pointerPath(root), `${id}\n`);
  return dir;
}

/** Files of the older layout, in plaintext in `<repository>/local/`: every file there but the pointer (and its being-written temporaries). */
async function legacyFiles(root: string): Promise<string[]> {
  try {
    const entries = await readdir(join(root, 'local'), { withFileTypes: true });
    return entries.filter((e) => e.isFile() && e.name !== POINTER && !(e.name.startsWith(`${POINTER}.`) && e.name.endsWith('~'))).map((e) => e.name);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/**
 * Moves the older layout's files into the state folder: each written there
 * whole first, then removed from the repository folder. A file the state
 * folder already holds (a move cut short, or another process's) wins; an old
 * one that differs is kept beside it, never lost. Temporaries left by a crash
 * (`*~`, plaintext too) are removed.
 */
async function migrate(root: string, names: string[], dir: string): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const name of names) {
    const from = join(root, 'local', name);
    if (!name.endsWith('~')) {
      let data: Buffer;
      try {
        data = await readFile(from);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') continue; // another process moved it
        throw error;
      }
      if (!(await writeFileExclusive(join(dir, name), data))) {
        const kept = await readFile(join(dir, name)).catch(() => undefined);
        if (!kept?.equals(data)) await writeFileAtomic(join(dir, `${name}.from-repository-folder-${stamp}`), data);
      }
    }
    await rm(from, { force: true });
  }
}
