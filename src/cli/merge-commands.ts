// The CLI side of settling other devices' work: `strata conflicts`, and
// reconciling after `strata sync` (and `watch --sync`) with what it prints.
// Thin: the work is in engine/versions/merge.ts.

import type { Command } from 'commander';
import { join } from 'node:path';
import { localPath } from '../engine/repo/location';
import { listNames } from '../engine/repo/repository';
import type { Backend } from '../engine/storage/backend';
import { LocalState } from '../engine/versions/local-state';
import { lastSeqsOf, needsReconcile, type Conflict, type ReconcileResult } from '../engine/versions/merge';
import { BATCH_PREFIX } from '../engine/versions/records';
import { Workspace } from '../engine/versions/workspace';
import { shown } from './display';
import { UsageError } from './usage-error';
import type { CliContext } from './version-commands';

export function conflictJson(c: Conflict): object {
  return {
    kind: c.kind, folder: c.folder, path: c.path, file: c.file,
    versions: c.versions.map((v) => ({ version: v.n, op: v.op, device: v.device, author: v.author, time: v.time, size: v.size, sha256: v.sha256 })),
  };
}

export function settledJson(r: ReconcileResult): object {
  return {
    versions: r.versions.map((v) => ({ path: v.path, version: v.n, op: v.op, summary: v.summary, device: v.device })),
    written: r.written, removed: r.removed, kept: r.kept, waiting: r.waiting, caughtUp: r.caughtUp, conflicts: r.conflicts.map(conflictJson),
  };
}

/** The lines telling a user about one conflict (`where`: the folder's place on this machine, for the commands to run), escaped for a terminal. */
export function conflictLines(c: Conflict, where: string | undefined): string[] {
  return rawConflictLines(c, where).map(shown);
}

function rawConflictLines(c: Conflict, where: string | undefined): string[] {
  const path = where ? join(where, ...c.path.split('/')) : `${c.folder}/${c.path}`;
  if (c.kind === 'path') {
    const v = c.versions[0];
    return [`conflict: ${c.folder}/${c.path}: a different file is here, so the one from ${v?.author ?? '?'} (device ${v?.device ?? '?'}) was not put in place; rename or remove this one, then sync`];
  }
  return [
    `conflict: ${c.folder}/${c.path} was changed on ${new Set(c.versions.map((v) => v.device)).size > 1 ? 'several devices' : 'one device twice'} at once:`,
    ...c.versions.map((v) => `  @${v.n}  ${new Date(v.time).toLocaleString('sv-SE').slice(0, 16)}  ${v.author}  (device ${v.device}, ${v.size} bytes)`),
    `  keep one: strata rollback ${path}@N (or edit the file and scan)`,
  ];
}

function folderPlaces(ws: Workspace): Map<string, string> {
  return new Map(ws.state.folders().filter((f) => f.tracked).map((f) => [f.name, f.path]));
}

/** Prints what settling did (plain output). */
export function printSettled(ctx: CliContext, ws: Workspace | undefined, r: ReconcileResult, prefix = ''): void {
  const places = ws ? folderPlaces(ws) : new Map<string, string>();
  // A copy of an earlier version (held back: an adopted folder's old export) is said with the version it was.
  const was = new Map(r.caughtUp.map((c) => [c.path, c.was]));
  for (const path of r.written) ctx.out(shown(`${prefix}updated  ${path}  ${was.has(path) ? `to the current version (the copy here was version ${was.get(path)})` : '(from another device)'}`));
  for (const path of r.removed) ctx.out(shown(`${prefix}removed  ${path}  (by another device${was.has(path) ? `; the copy here was version ${was.get(path)}` : ''})`));
  for (const path of r.kept) ctx.out(shown(`${prefix}kept     ${path}  (deleted by another device, but changed here since it was recorded: kept, and its next version outlives the deletion)`));
  for (const v of r.versions) ctx.out(shown(`${prefix}${v.op.padEnd(8)} ${v.path}  @${v.n}  ${v.summary}`));
  for (const path of r.waiting) ctx.out(shown(`${prefix}waiting  ${path}`));
  for (const c of r.conflicts) for (const line of conflictLines(c, places.get(c.folder))) ctx.warn(line);
}

/**
 * Before a sync: a machine whose state predates settling counts the batches
 * it has as in place (as it did), so those the sync brings are settled.
 */
export async function prepareSettling(ctx: CliContext, local: Backend): Promise<void> {
  const state = await LocalState.load(localPath(ctx.repoLocation()));
  if (state.diskView().applied || !state.folders().some((f) => f.tracked)) return;
  await state.setApplied(lastSeqsOf(await listNames(local, BATCH_PREFIX)), {});
}

/**
 * After a sync: settles other devices' versions in the tracked folders
 * (Workspace.reconcile) if any arrived. That needs the passphrase (sync
 * itself does not): without one, says so and leaves it for the next sync.
 */
export async function settleAfterSync(ctx: CliContext, local: Backend): Promise<{ ws: Workspace; result: ReconcileResult } | undefined> {
  const dir = localPath(ctx.repoLocation());
  if (!needsReconcile(await LocalState.load(dir), await listNames(local, BATCH_PREFIX))) return undefined;
  let repo;
  try {
    repo = await ctx.openRepo();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    ctx.warn('strata: other devices\' versions arrived; they are put in your folders by a sync with the passphrase available ($STRATA_PASSPHRASE or a terminal)');
    return undefined;
  }
  const ws = await Workspace.open(repo, dir);
  return { ws, result: await ws.reconcile() };
}

export function registerMergeCommands(program: Command, ctx: CliContext): void {
  program
    .command('conflicts')
    .description('files changed on two devices at once that did not merge (binary files): choose a version with rollback')
    .action(async () => {
      const ws = await Workspace.open(await ctx.openRepo(), localPath(ctx.repoLocation()));
      const conflicts = ws.conflicts();
      if (ctx.globals().json) {
        ctx.printJson(conflicts.map(conflictJson));
        return;
      }
      if (conflicts.length === 0) ctx.out('no conflicts');
      const places = folderPlaces(ws);
      for (const c of conflicts) for (const line of conflictLines(c, places.get(c.folder))) ctx.out(line);
    });
}
