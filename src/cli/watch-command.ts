// `strata watch [--sync [REMOTE]]`: the background runtime the app runs while
// unlocked (ops/background.ts), with its events printed on the console:
// each saved change recorded as a version, and with --sync each sync, what
// settling other devices' versions did, and tier moves, until Ctrl+C. The
// remote is picked as `strata sync` picks it (ops/remotes.ts pickRemote).

import type { Command } from 'commander';
import { errorMessage } from '../engine/errors';
import { BackgroundRuntime, DEFAULT_QUIET_MS } from '../engine/ops/background';
import { listRemotes, pickRemote } from '../engine/ops/remotes';
import type { Session } from '../engine/ops/session';
import { shown } from './display';
import { folderPlaces, printSettled, settledJson } from './merge-commands';
import { UsageError } from './usage-error';
import { parseSettle, session, versionJson, type CliContext } from './version-commands';

/** The name of the remote `--sync [REMOTE]` syncs with: the one named, else the only one; a usage error (status 2) when there is none, that name is unknown, or several are and none is named. */
async function syncRemote(s: Session, name: string | undefined): Promise<string> {
  const remotes = await listRemotes(s);
  if (remotes.length === 0) throw new UsageError('--sync needs a remote: add one with `strata remote add NAME --hot URL`');
  try {
    return pickRemote(remotes, name).name;
  } catch (error) {
    throw new UsageError(errorMessage(error), { cause: error });
  }
}

export function registerWatchCommand(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('watch tracked folders and record each saved change as a version (Ctrl+C stops)')
    .option('--delay <ms>', 'record changes once a folder has been quiet this long', String(DEFAULT_QUIET_MS))
    .option('--sync [remote]', 'also sync with a remote (default: the only one) after recording changes')
    .action(async (opts: { delay: string; sync?: string | boolean }) => {
      const quietMs = parseSettle(opts.delay, '--delay') ?? DEFAULT_QUIET_MS;
      const s = await session(ctx);
      const json = ctx.globals().json === true;
      const remote = opts.sync !== undefined ? await syncRemote(s, typeof opts.sync === 'string' ? opts.sync : undefined) : undefined;
      // Where each folder is here, for the commands a conflict's lines name (this process's folders do not change while it watches).
      const places = remote !== undefined ? await folderPlaces(s) : undefined;
      const time = (): string => new Date().toLocaleTimeString('sv-SE');
      // Messages carry paths and names from disks and other devices: shown escaped, as the CLI's other errors are.
      const failed = (error: unknown): void => ctx.warn(shown(`strata: ${errorMessage(error)}`));
      const runtime = new BackgroundRuntime(s, {
        watch: true,
        sync: remote !== undefined ? 'automatic' : 'off',
        ...(remote !== undefined ? { remote } : {}),
        quietMs,
        settleMs: quietMs,
      }, {
        warning: (path, message) => ctx.warn(shown(`warning: ${path}: ${message}`)),
        watchFailed: failed,
        scanFailed: failed,
        scanned: (folder, result) => {
          if (json) {
            for (const record of result.versions) ctx.out(JSON.stringify({ folder: folder.name, ...versionJson({ record, tags: [] }) }));
            return;
          }
          for (const v of result.versions) ctx.out(shown(`${time()}  ${folder.name}/${v.path}  @${v.n}  ${v.op}  ${v.summary}`));
        },
        synced: (name, r) => {
          if (r.uploaded.objects + r.downloaded.objects === 0) return;
          if (json) ctx.out(JSON.stringify({ synced: name, uploaded: r.uploaded, downloaded: r.downloaded }));
          else ctx.out(`${time()}  synced with "${name}": ${r.uploaded.objects} up, ${r.downloaded.objects} down`);
        },
        syncFailed: (name, message, retryInMs) => ctx.warn(shown(`strata: sync with "${name}" failed (${message}); retrying in ${Math.round(retryInMs / 1000)} s`)),
        settled: (r) => {
          if (json) {
            if (r.versions.length + r.written.length + r.removed.length + r.kept.length + r.waiting.length + r.conflicts.length > 0) ctx.out(JSON.stringify({ settled: settledJson(r) }));
            return;
          }
          printSettled(ctx, places, r, `${time()}  `);
        },
        settleFailed: (error) => ctx.warn(shown(`strata: settling other devices' versions failed: ${errorMessage(error)}`)),
        historyProblems: (problems) => {
          for (const p of problems) ctx.warn(shown(`damaged: ${p.object}: ${p.message}`));
        },
        migrated: (name, moved) => {
          if (moved.moved.objects === 0) return;
          if (json) ctx.out(JSON.stringify({ migrated: name, ...moved }));
          else ctx.out(`${time()}  moved ${moved.moved.objects} packs between "${name}"'s tiers`);
        },
      });
      const folders = await runtime.start();
      if (folders.length === 0) {
        await runtime.stop();
        throw new Error('no folders are tracked yet: add one with `strata add PATH`');
      }
      if (!json) ctx.out(shown(`watching ${folders.map((f) => `"${f.name}"`).join(', ')} (changes are recorded after ${quietMs} ms of quiet; Ctrl+C stops)`));
      await new Promise<void>((resolve) => {
        process.removeAllListeners('SIGINT');
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await runtime.stop();
      if (!json) ctx.out('stopped watching');
    });
}
