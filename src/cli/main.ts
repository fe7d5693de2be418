// The `strata` command line: parses arguments (commander), reads the
// repository location and passphrase, calls the engine's operations
// (engine/ops), prints results (plain or --json) and maps every failure to one
// line on stderr and an exit status.

import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { check, repairIndex, stats } from '../engine/ops/maintenance';
import {
  addKey,
  assertRepositoryAt,
  changePassphrase,
  initRepository,
  kdfWithN,
  listKeys,
  onStray,
  openSession as openSessionAt,
  removeKey,
  type KdfParams,
} from '../engine/ops/repository';
import type { Session } from '../engine/ops/session';
import { backup, listSnapshotFiles, listSnapshots, restoreSnapshot, scanTotals } from '../engine/ops/snapshots';
import { ENGINE_VERSION } from '../engine/version';
import { shown } from './display';
import { describeError, EXIT_CODES_HELP, ExitCode, exitCodeOf, noteExitCode } from './exit-codes';
import { currentPassphrase, newPassphrase } from './passphrase';
import { formatBytes, progressBar } from './progress';
import { UsageError } from './usage-error';
import { registerRemoteCommands } from './remote-commands';
import { registerTierCommands } from './tier-commands';
import { registerVersionCommands, restoreVersionsCommand } from './version-commands';
import { registerRepairVersions } from './repair-versions';
import { registerWatchCommand } from './watch-command';
import { warnStray } from './strays';

interface GlobalOptions {
  repo?: string;
  json?: boolean;
  quiet?: boolean;
  wait?: boolean;
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const warn = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));

function repoLocation(options: GlobalOptions): string {
  const location = options.repo ?? process.env.STRATA_REPO;
  if (!location) throw new UsageError('no repository given: use --repo DIR or set STRATA_REPO');
  return location;
}

/**
 * The repository of this invocation, unlocked once (key derivation is the slow
 * part), through the local view: evicted packs come back when read, and reads
 * are recorded for the placement policy (check's reads are not).
 */
let opened: Promise<Session> | undefined;
async function openSession(options: GlobalOptions, view: { trackReads?: boolean } = {}): Promise<Session> {
  opened ??= (async () => {
    const location = repoLocation(options);
    // The location first: no repository there (or one without key slots) is said as such, not as a missing passphrase.
    await assertRepositoryAt(location);
    const passphrase = await currentPassphrase();
    // Reading archived data: say when it will be ready, and wait only if asked to.
    const session = await openSessionAt(location, passphrase, {
      ...view,
      thaw: options.wait ? { wait: true, onState: (_name, message) => warn(`strata: ${message}; waiting`) } : {},
      onNotice: (message) => warn(`warning: ${message}`),
    });
    // Files among the objects that are not objects: ignored wherever they are listed, and said once each.
    onStray(session, (name) => warnStray(name));
    return session;
  })();
  return opened;
}

/** Saves what the command's reads taught (tier-state.json) and lets go of remotes opened to fetch. */
async function closeSession(): Promise<void> {
  const session = await opened?.catch(() => undefined);
  opened = undefined;
  await session?.close();
}

function kdfFromOption(n: string | undefined): KdfParams | undefined {
  if (n === undefined) return undefined;
  const value = Number(n);
  if (!Number.isInteger(value) || value < 2 || (value & (value - 1)) !== 0) throw new UsageError(`--kdf-n must be a power of two, got ${n}`);
  return kdfWithN(value);
}

/** `serve --port`: a whole number from 0 to 65535, 0 meaning any free port. */
function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port > 65_535) throw new UsageError(`--port must be a whole number from 0 to 65535 (0 picks a free port), not ${JSON.stringify(text)}`);
  return port;
}

function showProgress(options: GlobalOptions): boolean {
  return !options.json && !options.quiet;
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('strata')
    .description('Strata: encrypted, deduplicated, versioned storage for course materials.')
    // -V only: `restore PATH --version N` needs the long form (main() answers a lone --version).
    .version(ENGINE_VERSION, '-V', 'print the version')
    .option('-r, --repo <dir>', 'repository location (default: $STRATA_REPO)')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('-q, --quiet', 'no progress display')
    .option('--wait', 'when data must first be restored from an archive class (GLACIER), wait for it (hours) instead of stopping')
    .addHelpText('after', `
Passphrase: $STRATA_PASSPHRASE, $STRATA_PASSPHRASE_FILE, or a prompt on a terminal.
New passphrases (init, key add, key passwd): $STRATA_NEW_PASSPHRASE(_FILE) or a prompt.

${EXIT_CODES_HELP}

Examples:
  strata --repo ~/strata-repo init
  strata --repo ~/strata-repo backup ~/Courses/physics
  strata --repo ~/strata-repo snapshots
  strata --repo ~/strata-repo restore latest --target /tmp/restored
  strata --repo ~/strata-repo check --read-data

Version history of course folders:
  strata add ~/Courses/physics            track a folder (records its files now)
  strata scan                             record every change since the last scan
  strata log ~/Courses/physics/intro.md   a file's versions, newest first
  strata show ~/Courses/physics/intro.md@3 > old-intro.md
  strata tag ~/Courses/physics/intro.md@3 "sent to reviewer"`)
    .showHelpAfterError('(run strata --help for usage)')
    .exitOverride();

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const versionContext = {
    globals,
    openSession: () => openSession(globals()),
    repoLocation: () => repoLocation(globals()),
    out,
    warn,
    printJson,
  };

  program
    .command('init')
    .description('create a new encrypted repository')
    .addOption(new Option('--kdf-n <n>', 'scrypt cost N for the passphrase (power of two; default 65536, with p = 2)'))
    .action(async (opts: { kdfN?: string }) => {
      const g = globals();
      const location = repoLocation(g);
      const kdf = kdfFromOption(opts.kdfN);
      const created = await initRepository(location, await newPassphrase(true), kdf ? { kdf } : {});
      if (g.json) printJson({ id: created.id, location: created.location, key: created.keyId });
      else out(`created repository ${shortId(created.id)} at ${created.location}\nKeep the passphrase safe: without it the data cannot be read.`);
    });

  program
    .command('backup')
    .description('back up files and folders into a new snapshot')
    .argument('<path...>', 'files or folders to back up')
    .option('--tag <tag...>', 'tags for the snapshot')
    .option('--force', 'reread every file (no parent snapshot)')
    .action(async (paths: string[], opts: { tag?: string[]; force?: boolean }) => {
      const g = globals();
      const session = await openSession(g);
      const bar = progressBar('backup', showProgress(g));
      let total: number | undefined;
      const absolute = paths.map((p) => resolve(p));
      if (showProgress(g) && process.stderr.isTTY) void scanTotals(absolute).then((t) => { total = t.bytes; });
      const warnings: Array<{ path: string; message: string }> = [];
      try {
        const result = await backup(session, absolute, {
          ...(opts.tag ? { tags: opts.tag } : {}),
          ...(opts.force ? { parent: false as const } : {}),
          // The bar starts once the concurrent scan knows the total: a percentage and ETA need it.
          onProgress: (p) => {
            if (total !== undefined) bar.update(p.bytes, total, { what: `${p.files} files` });
          },
          onWarning: (path, message) => {
            warnings.push({ path, message });
            if (!g.json) warn(shown(`warning: ${path}: ${message}`));
          },
        });
        bar.stop();
        const s = result.snapshot.stats;
        if (g.json) {
          printJson({ snapshot: result.id, parent: result.snapshot.parent ?? null, stats: s, warnings });
        } else {
          out(`snapshot ${shortId(result.id)} saved`);
          if (!g.quiet) {
            warn(`${s.files} files (${s.reusedFiles} unchanged), ${s.dirs} folders, ${formatBytes(s.bytes)}; ` +
              `new: ${formatBytes(s.newBytes)} in ${s.newBlobs} chunks, stored as ${formatBytes(s.storedBytes)}`);
          }
        }
        if (result.warnings > 0) noteExitCode(ExitCode.partial);
      } finally {
        bar.stop();
      }
    });

  program
    .command('snapshots')
    .description('list snapshots, oldest first')
    .action(async () => {
      const g = globals();
      const all = await listSnapshots(await openSession(g));
      if (g.json) {
        printJson(all.map(({ id, snapshot }) => ({ id, short: shortId(id), ...snapshot })));
        return;
      }
      if (all.length === 0) {
        out('no snapshots yet');
        return;
      }
      out('ID        Time                 Host              Files     Size  Paths');
      for (const { id, snapshot: s } of all) {
        const time = new Date(s.time).toISOString().replace('T', ' ').slice(0, 19);
        out(`${shortId(id)}  ${time}  ${s.host.slice(0, 16).padEnd(16)}  ${String(s.stats.files).padStart(6)}  ${formatBytes(s.stats.bytes).padStart(9)}  ${s.paths.join(', ')}`);
      }
    });

  program
    .command('ls')
    .description('list the files of a snapshot')
    .argument('<snapshot>', 'snapshot id (prefix) or "latest"')
    .action(async (ref: string) => {
      const g = globals();
      const entries = await listSnapshotFiles(await openSession(g), ref);
      if (g.json) {
        printJson(entries.map(({ path, node }) => ({
          path,
          type: node.type,
          mode: node.mode,
          mtime: new Date(node.mtimeMs).toISOString(),
          ...(node.type === 'file' ? { size: node.size } : {}),
          ...(node.type === 'symlink' ? { target: node.target } : {}),
        })));
        return;
      }
      for (const { path, node } of entries) {
        const kind = node.type === 'dir' ? 'd' : node.type === 'symlink' ? 'l' : '-';
        const size = node.type === 'file' ? formatBytes(node.size) : '';
        const suffix = node.type === 'symlink' ? ` -> ${node.target}` : node.type === 'dir' ? '/' : '';
        out(`${kind}${(node.mode & 0o777).toString(8).padStart(4, '0')} ${size.padStart(10)}  ${new Date(node.mtimeMs).toISOString().slice(0, 19)}  ${shown(`${path}${suffix}`)}`);
      }
    });

  program
    .command('restore')
    .description('restore a snapshot (or part of it) into a folder; or, with --version or --at, a tracked file or folder as it was')
    .argument('<snapshot|path>', 'snapshot id (prefix) or "latest"; with --version/--at, a file or folder in a tracked folder')
    .option('-t, --target <dir>', 'folder to restore into (created if missing; required for snapshots; default for versions: in place)')
    .option('-i, --include <path...>', 'restore only these snapshot paths (e.g. physics/week1)')
    .option('--version <n>', 'the file\'s version N (see strata log)')
    .option('--at <time>', 'as it was at this moment (ISO 8601, "yesterday 14:00", "3 days ago")')
    .action(async (ref: string, opts: { target?: string; include?: string[]; version?: string; at?: string }) => {
      const g = globals();
      if (opts.version !== undefined || opts.at !== undefined) {
        if (opts.include) throw new UsageError('--include is for snapshots; with --version or --at, name the file or folder itself');
        await restoreVersionsCommand(versionContext, ref, { ...(opts.version !== undefined ? { version: opts.version } : {}), ...(opts.at !== undefined ? { at: opts.at } : {}), ...(opts.target !== undefined ? { target: opts.target } : {}) });
        return;
      }
      if (opts.target === undefined) throw new UsageError('restoring a snapshot needs --target DIR');
      const session = await openSession(g);
      const bar = progressBar('restore', showProgress(g));
      try {
        const { id, target, result } = await restoreSnapshot(session, ref, {
          target: opts.target,
          ...(opts.include ? { include: opts.include } : {}),
          onProgress: (p, total) => bar.update(p.bytes, total, { what: `${p.files} files` }),
        });
        bar.stop();
        if (g.json) printJson({ snapshot: id, target, ...result });
        else {
          for (const f of result.failed) warn(shown(`damaged: ${f.path}: ${f.message}`));
          for (const f of result.refused) warn(shown(`refused: ${f.path}: ${f.message}`));
          out(`restored ${result.files} files, ${result.dirs} folders, ${result.symlinks} links (${formatBytes(result.bytes)}) from ${shortId(id)} to ${target}`);
          if (result.failed.length > 0) warn(`${result.failed.length} file(s) not restored: their data is damaged or missing (run \`strata check --read-data\`)`);
          if (result.refused.length > 0) warn(`${result.refused.length} folder(s) not restored: they are the repository, which a restore never writes into`);
        }
        if (result.failed.length > 0) noteExitCode(ExitCode.damaged);
        if (result.refused.length > 0) noteExitCode(ExitCode.partial);
      } finally {
        bar.stop();
      }
    });

  program
    .command('check')
    .description('verify the repository; --read-data also reads and verifies every pack')
    .option('--read-data', 'read all data and verify every chunk')
    .action(async (opts: { readData?: boolean }) => {
      const g = globals();
      const session = await openSession(g, { trackReads: false });
      const bar = progressBar('check', showProgress(g) && opts.readData === true);
      let bytes = 0;
      const result = await check(session, {
        readData: opts.readData === true,
        // This device's own newest version batch, if lost, only this machine's state knows of.
        onNote: (note) => warn(`note: ${note}`),
        onProgress: (done, total, _pack, packBytes) => {
          bytes += packBytes;
          bar.update(bytes, undefined, { what: `${done}/${total} packs` });
        },
      });
      bar.stop();
      if (g.json) printJson({ ok: result.problems.length === 0, ...result });
      else {
        for (const note of result.notes) warn(`note: ${note}`);
        for (const p of result.problems) warn(`damaged: ${p.object}: ${p.message}`);
        if (result.problems.length === 0) {
          out(`no problems found (${result.snapshots} snapshots, ${result.versionBatches} version batches, ${result.packs} packs${opts.readData ? `, ${formatBytes(result.bytesRead)} read and verified` : ''})`);
        } else out(`${result.problems.length} problem(s) found`);
      }
      if (result.problems.length > 0) noteExitCode(ExitCode.damaged);
    });

  program
    .command('stats')
    .description('sizes: logical, unique and stored bytes; deduplication and compression savings')
    .action(async () => {
      const g = globals();
      const s = await stats(await openSession(g));
      if (g.json) {
        printJson(s);
        return;
      }
      const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
      out(`snapshots:            ${s.snapshots}`);
      out(`files (all snapshots): ${s.files}`);
      out(`logical size:         ${formatBytes(s.logicalBytes)}`);
      out(`unique content:       ${formatBytes(s.uniqueBytes)} in ${s.chunks} chunks (deduplication saves ${pct(s.dedupSavings)})`);
      out(`stored content:       ${formatBytes(s.uniqueStoredBytes)} (compression saves ${pct(s.compressionSavings)})`);
      out(`repository size:      ${formatBytes(s.storedBytes)}`);
    });

  const key = program.command('key').description('manage passphrases (key slots)');
  key
    .command('list')
    .description('list key slots')
    .action(async () => {
      const g = globals();
      const keys = await listKeys(await openSession(g));
      if (g.json) printJson(keys);
      else {
        for (const k of keys) {
          const what = k.damaged !== undefined ? `damaged: ${k.damaged}` : `v${k.version ?? '?'}  ${k.created}  ${k.user}@${k.host}`;
          out(shown(`${k.current ? '*' : ' '} ${shortId(k.id)}  ${what}`)); // labels come from the slot files
        }
      }
    });
  key
    .command('add')
    .description('add a passphrase (a new key slot)')
    .addOption(new Option('--kdf-n <n>', 'scrypt cost N (power of two)'))
    .action(async (opts: { kdfN?: string }) => {
      const g = globals();
      const session = await openSession(g);
      const id = await addKey(session, await newPassphrase(false), kdfFromOption(opts.kdfN));
      if (g.json) printJson({ id });
      else out(`added key ${shortId(id)}`);
    });
  key
    .command('remove')
    .description('remove a key slot (not the one in use)')
    .argument('<id>', 'key id (prefix)')
    .action(async (id: string) => {
      const g = globals();
      const removed = await removeKey(await openSession(g), id);
      if (g.json) printJson({ removed });
      else out(`removed key ${shortId(removed)}`);
    });
  key
    .command('passwd')
    .description('change the passphrase of the key in use')
    .addOption(new Option('--kdf-n <n>', 'scrypt cost N (power of two)'))
    .action(async (opts: { kdfN?: string }) => {
      const g = globals();
      const session = await openSession(g);
      const id = await changePassphrase(session, await newPassphrase(false), kdfFromOption(opts.kdfN));
      if (g.json) printJson({ id });
      else out(`passphrase changed (new key ${shortId(id)})`);
    });

  const repair = program.command('repair').description('repair the repository');
  repair
    .command('index')
    .description('rebuild the index from the packs themselves')
    .action(async () => {
      const g = globals();
      const result = await repairIndex(await openSession(g));
      if (g.json) printJson(result);
      else {
        for (const d of result.damaged) warn(`damaged: ${d.pack}: ${d.message}`);
        out(`index rebuilt: ${result.blobs} blobs in ${result.packs} packs (${result.removedIndexes} old index objects replaced)`);
      }
      if (result.damaged.length > 0) noteExitCode(ExitCode.damaged);
    });
  registerRepairVersions(repair, versionContext);

  program
    .command('serve')
    .description('serve the app in a browser on 127.0.0.1 (headless host)')
    .option('-p, --port <port>', 'port (default: a free one)', '0')
    .action(async (opts: { port: string }) => {
      const port = parsePort(opts.port);
      const { serve } = await import('../serve/serve-command');
      process.removeAllListeners('SIGINT'); // serve shuts down cleanly on its own
      await serve(port, globals().repo ?? process.env.STRATA_REPO);
    });

  registerVersionCommands(program, versionContext);
  registerWatchCommand(program, versionContext);
  registerRemoteCommands(program, versionContext);
  registerTierCommands(program, versionContext);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // `strata snapshots | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitCode.ok);
    throw error;
  });
  process.on('SIGINT', () => {
    warn('interrupted');
    process.exit(ExitCode.interrupted);
  });
  if (argv.length === 3 && argv[2] === '--version') {
    out(ENGINE_VERSION);
    return ExitCode.ok;
  }
  try {
    try {
      await program.parseAsync(argv);
    } finally {
      await closeSession();
    }
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the message (or help/version).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    warn(`strata: ${describeError(error)}`.split('\n').map(shown).join('\n')); // names in messages may come from other devices
    return exitCodeOf(error);
  }
}

