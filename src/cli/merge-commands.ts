// The CLI side of settling other devices' work: `strata conflicts`, and what
// settling after `strata sync` (and `watch --sync`) did, as printed. Thin: the
// work is in engine/ops/settle.ts.

import type { Command } from 'commander';
import { join } from 'node:path';
import { trackedFolders } from '../engine/ops/folders';
import type { Session } from '../engine/ops/session';
import { conflicts, type Conflict, type ReconcileResult } from '../engine/ops/settle';
import { shown } from './display';
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

/** Where each tracked folder is on this machine, by name: for the commands a conflict's lines suggest. */
export async function folderPlaces(s: Session): Promise<Map<string, string>> {
  return new Map((await trackedFolders(s)).map((f) => [f.name, f.path]));
}

/** Prints what settling did (plain output); `places` from folderPlaces. */
export function printSettled(ctx: CliContext, places: ReadonlyMap<string, string> | undefined, r: ReconcileResult, prefix = ''): void {
  // A copy of an earlier version (held back: an adopted folder's old export) is said with the version it was.
  const was = new Map(r.caughtUp.map((c) => [c.path, c.was]));
  for (const path of r.written) ctx.out(shown(`${prefix}updated  ${path}  ${was.has(path) ? `to the current version (the copy here was version ${was.get(path)})` : '(from another device)'}`));
  for (const path of r.removed) ctx.out(shown(`${prefix}removed  ${path}  (by another device${was.has(path) ? `; the copy here was version ${was.get(path)}` : ''})`));
  for (const path of r.kept) ctx.out(shown(`${prefix}kept     ${path}  (deleted by another device, but changed here since it was recorded: kept, and its next version outlives the deletion)`));
  for (const v of r.versions) ctx.out(shown(`${prefix}${v.op.padEnd(8)} ${v.path}  @${v.n}  ${v.summary}`));
  for (const path of r.waiting) ctx.out(shown(`${prefix}waiting  ${path}`));
  for (const c of r.conflicts) for (const line of conflictLines(c, places?.get(c.folder))) ctx.warn(line);
}

export function registerMergeCommands(program: Command, ctx: CliContext): void {
  program
    .command('conflicts')
    .description('files changed on two devices at once that did not merge (binary files): choose a version with rollback')
    .action(async () => {
      const s = await ctx.openSession();
      const open = await conflicts(s);
      if (ctx.globals().json) {
        ctx.printJson(open.map(conflictJson));
        return;
      }
      if (open.length === 0) ctx.out('no conflicts');
      const places = await folderPlaces(s);
      for (const c of open) for (const line of conflictLines(c, places.get(c.folder))) ctx.out(line);
    });
}
