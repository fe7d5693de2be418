// The version-history commands of the CLI: tracked folders (add, folders,
// remove), scan, log, show, rollback, restore of versions, diff, blame, tag
// and config. Thin: parsing and printing here, the work in engine/ops.

import type { Command } from 'commander';
import { author, setAuthor } from '../engine/ops/author';
import { blame, diff as compareVersions, type Attribution, type TextDiff } from '../engine/ops/compare';
import { addFolder, listFolders, removeFolder, scan, trackedFolders, type ScanResult } from '../engine/ops/folders';
import { content, historyProblems, log, parseVersionRef, parseWhen, tag, tagsOf, version, type HistoryProblem, type LogEntry, type VersionRecord } from '../engine/ops/history';
import { acceptedLosses } from '../engine/ops/losses';
import { restoreVersions, rollback, type RestoreOutcome } from '../engine/ops/restore-versions';
import type { Session } from '../engine/ops/session';
import { shown } from './display';
import { ExitCode, noteExitCode } from './exit-codes';
import { registerMergeCommands } from './merge-commands';
import { reportAcceptedLosses } from './repair-versions';
import { UsageError } from './usage-error';

export interface CliContext {
  globals(): { repo?: string; json?: boolean; quiet?: boolean };
  /** The repository of this invocation, unlocked once (the passphrase asked for at most once). */
  openSession(): Promise<Session>;
  repoLocation(): string;
  out(line: string): void;
  warn(line: string): void;
  printJson(value: unknown): void;
}

/** The unlocked repository, its history read, with what the history lacks said first. */
export async function session(ctx: CliContext): Promise<Session> {
  const s = await ctx.openSession();
  reportHistoryProblems(ctx, await historyProblems(s));
  return s;
}

/**
 * Damaged or missing version batches (history.ts): every command says so,
 * shows what it can, and exits 5; those that would write history refuse.
 * With --json the list goes to stderr as one JSON line, stdout keeps its document.
 */
function reportHistoryProblems(ctx: CliContext, problems: HistoryProblem[]): void {
  if (problems.length === 0) return;
  noteExitCode(ExitCode.damaged);
  if (ctx.globals().json) {
    ctx.warn(JSON.stringify({ event: 'history-incomplete', problems }));
    return;
  }
  for (const p of problems) ctx.warn(`damaged: ${p.object}: ${p.message}`);
  ctx.warn(`warning: the version history is incomplete (${problems.length} batch${problems.length === 1 ? '' : 'es'} damaged or missing): `
    + 'their versions are not shown, and nothing new is recorded until they are back (`strata sync` with a remote that has them) '
    + 'or recorded as lost (`strata repair versions`, if no remote has them)');
}

export function versionJson(entry: { folder?: string; record: VersionRecord; tags: string[] }): object {
  const { record: r } = entry;
  return {
    ...(entry.folder ? { folder: entry.folder } : {}),
    path: r.path, version: r.n, op: r.op, time: r.time, author: r.author, device: r.device, size: r.size, sha256: r.sha256,
    summary: r.summary, ...(r.message ? { message: r.message } : {}), ...(r.from ? { from: r.from } : {}), tags: entry.tags, file: r.file, meta: r.meta,
  };
}

function logLine(entry: LogEntry): string {
  const r = entry.record;
  const time = new Date(r.time).toLocaleString('sv-SE').slice(0, 16); // YYYY-MM-DD HH:MM, local time
  const tags = entry.tags.length > 0 ? `  [${entry.tags.join(', ')}]` : '';
  const what = r.message ? `${r.message} (${r.summary})` : r.summary;
  return shown(`${time}  ${`@${r.n}`.padStart(5)}  ${r.op.padEnd(8)} ${r.path}  ${what}  — ${r.author}${tags}`);
}

export function parseSettle(value: string | undefined, flag = '--settle'): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`${flag} must be a number of milliseconds, got ${value}`);
  return ms;
}

function parseVersionNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--version must be a version number (1, 2, ...), got ${value}`);
  return n;
}

/**
 * What a restore of versions did. Files it could not put back (damaged data:
 * exit 5; a path into the repository: exit 6) are named on stderr, one line
 * each, and in --json; the rest was restored.
 */
function reportPutBack(ctx: CliContext, outcome: RestoreOutcome, what: string): void {
  const { damaged, refused } = outcome;
  if (damaged.length > 0) noteExitCode(ExitCode.damaged);
  if (refused.length > 0) noteExitCode(ExitCode.partial);
  if (ctx.globals().json) {
    ctx.printJson({ target: outcome.target, written: outcome.written, removed: outcome.removed, versions: outcome.versions.map((record) => versionJson({ record, tags: [] })), damaged, refused });
    return;
  }
  for (const path of outcome.written) ctx.out(shown(`wrote    ${path}`));
  for (const path of outcome.removed) ctx.out(shown(`removed  ${path}  (it did not exist then; its history is kept)`));
  for (const d of damaged) ctx.warn(shown(`damaged: ${d.path}: ${d.message}`));
  for (const r of refused) ctx.warn(shown(`refused: ${r.path}: ${r.message}`));
  const notRestored = damaged.length + refused.length;
  if (outcome.written.length + outcome.removed.length + notRestored === 0) {
    ctx.out(`nothing to do: already ${what}`);
    return;
  }
  ctx.out(shown(`${what}: ${outcome.written.length} written, ${outcome.removed.length} removed${notRestored > 0 ? `, ${notRestored} not restored` : ''} in ${outcome.target}`));
  if (damaged.length > 0) ctx.warn(`${damaged.length} file(s) not restored: their data is damaged or missing (what was on disk there is left as it was; run \`strata check --read-data\`)`);
  if (refused.length > 0) ctx.warn(`${refused.length} file(s) not restored: their paths lead into the repository, which a restore never writes into`);
}

/** `strata restore PATH --version N | --at TIME [--target DIR]`. */
export async function restoreVersionsCommand(ctx: CliContext, path: string, opts: { version?: string; at?: string; target?: string }): Promise<void> {
  if ((opts.version === undefined) === (opts.at === undefined)) throw new UsageError('give exactly one of --version N and --at TIME');
  const version = opts.version !== undefined ? parseVersionNumber(opts.version) : undefined;
  const at = opts.at !== undefined ? parseWhen(opts.at) : undefined;
  const s = await session(ctx);
  const outcome = await restoreVersions(s, path, { ...(version !== undefined ? { version } : {}), ...(at ? { at } : {}), ...(opts.target !== undefined ? { target: opts.target } : {}) });
  reportPutBack(ctx, outcome, version !== undefined ? `restored version ${version}` : `restored as of ${at?.toLocaleString('sv-SE')}`);
}

const paint = (on: boolean) => (code: string, text: string): string => (on && text !== '' ? `\x1b[${code}m${text}\x1b[0m` : text);

function who(by: Attribution | undefined): string {
  if (!by) return '';
  return shown(by.version === null ? by.author : `@${by.version} ${by.author}`);
}

function printTextDiff(ctx: CliContext, diff: TextDiff, colour: boolean): void {
  const c = paint(colour);
  for (const hunk of diff.hunks) {
    ctx.out(c('36', `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`));
    for (const line of hunk.lines) {
      const strip = (t: string): string => t.replace(/\r?\n$/, '');
      if (line.type === 'same') {
        ctx.out(` ${strip(line.segments.map((sg) => sg.text).join(''))}`);
        continue;
      }
      const sign = line.type === 'added' ? '+' : '-';
      const base = line.type === 'added' ? '32' : '31';
      const strong = line.type === 'added' ? '1;42;30' : '1;41;37';
      const body = line.segments.map((sg) => (sg.type === 'same' ? c(base, strip(sg.text)) : c(strong, strip(sg.text)))).join('');
      const by = [...new Set(line.segments.filter((sg) => sg.type !== 'same').map((sg) => who(sg.by)).filter((w) => w !== ''))];
      ctx.out(`${c(base, sign)}${body}${by.length > 0 ? c('2', `    ‹${by.join(', ')}›`) : ''}`);
    }
  }
}

/** A word for a shell command line, quoted when it needs to be. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** What a scan did, as `scan` and `add` print it. */
async function reportScan(ctx: CliContext, s: Session, result: ScanResult): Promise<void> {
  if (ctx.globals().json) {
    ctx.printJson({
      batch: result.batch ?? null, versions: result.versions.map((record) => versionJson({ record, tags: [] })), unchanged: result.unchanged,
      settling: result.settling, notHere: result.notHere, unrecordable: result.unrecordable, behind: result.behind, warnings: result.warnings,
    });
  } else {
    for (const v of result.versions) ctx.out(shown(`${v.op.padEnd(8)} ${v.path}  @${v.n}  ${v.summary}`));
    for (const path of result.settling) ctx.out(shown(`waiting  ${path}  (still being written; recorded on a later scan)`));
    // Copies of earlier versions in an adopted folder (an old export): not edits; `sync` brings them up to date.
    for (const b of result.behind) ctx.out(shown(`behind   ${b.path}  (the copy here is version ${b.version} of ${b.current}: not a new edit, nothing recorded; the next sync puts the current version in place)`));
    // Files of an adopted folder not on this machine (yet): how to put them here, or to record them as deleted.
    for (const folder of await trackedFolders(s)) {
      const missing = result.notHere.filter((p) => p.startsWith(`${folder.name}/`)).length;
      if (missing === 0) continue;
      ctx.out(shown(`${missing} file${missing === 1 ? '' : 's'} of "${folder.name}" from other devices ${missing === 1 ? 'is' : 'are'} not in this folder; not recorded as deleted:`));
      ctx.out(shown(`  strata restore ${shellWord(folder.path)} --at now     puts ${missing === 1 ? 'it' : 'them'} here`));
      ctx.out(shown(`  strata scan ${shellWord(folder.name)} --confirm-deletions     records ${missing === 1 ? 'it' : 'them'} as deleted`));
    }
    const unrecordable = result.unrecordable.length > 0 ? `; ${result.unrecordable.length} not recorded: their names cannot be (see the warnings)` : '';
    ctx.out(`${result.versions.length === 0 ? `no changes (${result.unchanged} files unchanged)` : `${result.versions.length} new versions, ${result.unchanged} files unchanged`}${unrecordable}`);
  }
  if (result.warnings > 0) noteExitCode(ExitCode.partial);
}

export function registerVersionCommands(program: Command, ctx: CliContext): void {
  const onWarning = (path: string, message: string): void => ctx.warn(shown(`warning: ${path}: ${message}`));

  program
    .command('add')
    .description('track a course folder: every change in it becomes a version')
    .argument('<path>', 'the folder')
    .option('--name <name>', 'name of the folder in history (default: its folder name)')
    .option('--no-scan', 'do not record the folder\'s current files now')
    .action(async (path: string, opts: { name?: string; scan: boolean }) => {
      const s = await session(ctx);
      const folder = await addFolder(s, path, opts.name);
      if (!ctx.globals().json) ctx.out(shown(`tracking "${folder.name}" (${folder.path})${folder.observed === false ? ': it continues the history from other devices' : ''}`));
      if (opts.scan) await reportScan(ctx, s, await scan(s, [folder.name], { onWarning }));
      else if (ctx.globals().json) ctx.printJson(folder);
    });

  program
    .command('folders')
    .description('list tracked folders')
    .action(async () => {
      const folders = await listFolders(await session(ctx));
      if (ctx.globals().json) {
        ctx.printJson(folders);
        return;
      }
      if (folders.length === 0) {
        ctx.out('no folders tracked yet: strata add PATH');
        return;
      }
      const note = (f: (typeof folders)[number]): string => (!f.tracked ? '  (not tracked any more)' : f.observed === false ? '  (from other devices: files missing here are not recorded as deleted)' : '');
      for (const f of folders) ctx.out(shown(`${f.name.padEnd(24)} ${String(f.files).padStart(6)} files ${String(f.versions).padStart(7)} versions  ${f.path}${note(f)}`));
    });

  program
    .command('remove')
    .description('stop tracking a folder (its history is kept)')
    .argument('<name>', 'the folder\'s name (see strata folders)')
    .action(async (name: string) => {
      const folder = await removeFolder(await session(ctx), name);
      if (ctx.globals().json) ctx.printJson(folder);
      else ctx.out(shown(`stopped tracking "${folder.name}"; its history is kept`));
    });

  program
    .command('scan')
    .description('record every change in tracked folders since the last scan')
    .argument('[names...]', 'folders to scan (default: all tracked)')
    .option('-m, --message <text>', 'describe the changes (shown instead of the generated summary, which is kept)')
    .option('--settle <ms>', 'also leave files modified less than this long ago for a later scan (default 0: record what holds still while it is read)')
    .option('--tag <tag...>', 'tag every version of this scan')
    .option('--meta <key=value...>', 'free metadata recorded with every version of this scan')
    .option('--confirm-deletions', 'in folders continued from other devices, record files missing here as deleted (by default they are not here yet)')
    .action(async (names: string[], opts: { message?: string; settle?: string; tag?: string[]; meta?: string[]; confirmDeletions?: boolean }) => {
      const s = await session(ctx);
      const settleMs = parseSettle(opts.settle);
      const meta: Record<string, string> = {};
      for (const pair of opts.meta ?? []) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`--meta takes KEY=VALUE, got ${JSON.stringify(pair)}`);
        meta[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      await reportScan(ctx, s, await scan(s, names, {
        ...(opts.message ? { message: opts.message } : {}),
        ...(settleMs !== undefined ? { settleMs } : {}),
        ...(opts.tag ? { tags: opts.tag } : {}),
        ...(opts.meta ? { meta } : {}),
        ...(opts.confirmDeletions ? { confirmDeletions: true } : {}),
        onWarning,
      }));
    });

  registerMergeCommands(program, ctx);

  program
    .command('log')
    .description('history of a file, or of every file under a folder, newest first')
    .argument('<path>', 'a file or folder in a tracked folder (deleted files too)')
    .option('--since <time>', 'only versions from this time on (ISO 8601, "yesterday 14:00", "3 days ago")')
    .option('--until <time>', 'only versions up to this time')
    .option('--author <text>', 'only versions whose author contains this')
    .option('--tag <tag>', 'only versions with this tag')
    .action(async (path: string, opts: { since?: string; until?: string; author?: string; tag?: string }) => {
      const s = await session(ctx);
      const entries = await log(s, path, {
        ...(opts.since ? { since: parseWhen(opts.since) } : {}),
        ...(opts.until ? { until: parseWhen(opts.until) } : {}),
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.tag ? { tag: opts.tag } : {}),
      });
      reportAcceptedLosses(ctx, await acceptedLosses(s)); // recorded by `repair versions`: not a problem, still named
      if (ctx.globals().json) {
        ctx.printJson(entries.map(versionJson));
        return;
      }
      if (entries.length === 0) ctx.out('no versions match');
      for (const entry of entries) ctx.out(logLine(entry));
    });

  program
    .command('show')
    .description('print a version\'s content on stdout')
    .argument('<path@n>', 'file and version number (newest without @N)')
    .action(async (ref: string) => {
      const s = await session(ctx);
      const { path, n } = parseVersionRef(ref);
      const record = await version(s, path, n);
      if (ctx.globals().json) {
        ctx.printJson(versionJson({ record, tags: await tagsOf(s, record) }));
        return;
      }
      for await (const piece of content(s, record)) {
        if (!process.stdout.write(piece)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    });

  program
    .command('rollback')
    .description('make an earlier version current again (on disk, and as a new version)')
    .argument('<path@n>', 'file and version number')
    .option('-m, --message <text>', 'why (default: "rolled back to version N")')
    .action(async (ref: string, opts: { message?: string }) => {
      const s = await session(ctx);
      const { path, n } = parseVersionRef(ref);
      if (n === undefined) throw new UsageError('name the version to roll back to: PATH@N (see strata log PATH)');
      reportPutBack(ctx, await rollback(s, path, n, opts.message), `rolled back to version ${n}`);
    });

  program
    .command('diff')
    .description('compare two versions of a file, or a version with the file on disk')
    .argument('<path@a>', 'file and version (the newest without @N)')
    .argument('[path@b]', 'the other version (default: the file as it is on disk)')
    .option('--color <when>', 'colour the output: auto (on a terminal), always, never', 'auto')
    .action(async (refA: string, refB: string | undefined, opts: { color: string }) => {
      if (!['auto', 'always', 'never'].includes(opts.color)) throw new UsageError('--color takes auto, always or never');
      const s = await session(ctx);
      const a = parseVersionRef(refA);
      const b = refB !== undefined ? parseVersionRef(refB) : undefined;
      const result = await compareVersions(s, a.path, a.n, b);
      const { from, to, diff } = result;
      if (ctx.globals().json) {
        const side = (x: typeof from): object => ({ label: x.label, path: x.path, version: x.record?.n ?? null, size: x.size, sha256: x.sha256 });
        ctx.printJson({ from: side(from), to: side(to), ...diff });
        return;
      }
      const colour = opts.color === 'always' || (opts.color === 'auto' && process.stdout.isTTY === true && !process.env.NO_COLOR);
      const c = paint(colour);
      ctx.out(c('1', shown(`--- ${from.label}${from.record ? `  ${from.record.author}, ${new Date(from.record.time).toLocaleString('sv-SE')}` : ''}`)));
      ctx.out(c('1', shown(`+++ ${to.label}${to.record ? `  ${to.record.author}, ${new Date(to.record.time).toLocaleString('sv-SE')}` : ''}`)));
      if (diff.kind === 'text') {
        if (diff.hunks.length === 0) ctx.out('no differences');
        printTextDiff(ctx, diff, colour);
        return;
      }
      const row = (label: string, x: string, y: string): void => ctx.out(`${label.padEnd(10)} ${x.padEnd(28)} ${y}`);
      const dims = (i: typeof diff.old): string => (i.width !== undefined ? `${i.width} x ${i.height}` : '-');
      row('type', diff.old.type, diff.new.type);
      row('size', `${diff.old.size} bytes`, `${diff.new.size} bytes`);
      row('sha256', diff.old.sha256.slice(0, 16), diff.new.sha256.slice(0, 16));
      if (diff.old.width !== undefined || diff.new.width !== undefined) row('pixels', dims(diff.old), dims(diff.new));
      if (diff.chunks) ctx.out(`chunks     ${diff.chunks.changed} of ${diff.chunks.new} differ (old version had ${diff.chunks.old})`);
      if (diff.old.sha256 === diff.new.sha256) ctx.out('identical content');
    });

  program
    .command('blame')
    .description('for each line of a text file, the version and author that last changed it')
    .argument('<path>', 'file (or PATH@N for an earlier version)')
    .action(async (ref: string) => {
      const s = await session(ctx);
      const { path, n } = parseVersionRef(ref);
      const lines = await blame(s, path, n);
      if (ctx.globals().json) {
        ctx.printJson(lines);
        return;
      }
      const width = Math.max(0, ...lines.map((l) => who(l.by).length));
      for (const l of lines) {
        const time = l.by.time ? new Date(l.by.time).toLocaleString('sv-SE').slice(0, 16) : ''.padEnd(16);
        ctx.out(`${who(l.by).padEnd(width)}  ${time}  ${String(l.line).padStart(4)} | ${l.text}`);
      }
    });

  program
    .command('tag')
    .description('tag a version')
    .argument('<path@n>', 'file and version number')
    .argument('<tag>', 'the tag')
    .action(async (ref: string, name: string) => {
      const s = await session(ctx);
      const { path, n } = parseVersionRef(ref);
      const record = await version(s, path, n);
      await tag(s, path, record.n, name);
      if (ctx.globals().json) ctx.printJson({ path: record.path, version: record.n, tag: name });
      else ctx.out(shown(`tagged ${record.path}@${record.n} "${name}"`));
    });

  const config = program.command('config').description('settings of this machine\'s use of the repository');
  config
    .command('set')
    .description('set a setting (author: the name recorded in new versions)')
    .argument('<key>', 'author')
    .argument('<value>', 'e.g. "Ada Lovelace <ada@example.org>"')
    .action(async (key: string, value: string) => {
      if (key !== 'author') throw new UsageError(`unknown setting ${JSON.stringify(key)}: the settings are: author`);
      const s = await session(ctx);
      await setAuthor(s, value);
      ctx.out(shown(`author: ${await author(s)}`));
    });
  config
    .command('get')
    .description('show a setting')
    .argument('<key>', 'author')
    .action(async (key: string) => {
      if (key !== 'author') throw new UsageError(`unknown setting ${JSON.stringify(key)}: the settings are: author`);
      const s = await session(ctx);
      const name = await author(s);
      if (ctx.globals().json) ctx.printJson({ author: name });
      else ctx.out(shown(name));
    });
}
