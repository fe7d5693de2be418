// `strata watch [--sync [REMOTE]]`: the background runtime the app runs while
// unlocked (ops/background.ts), with its events printed on the console:
// each saved change recorded as a version, and with --sync each sync, what
// settling other devices' versions did, and tier moves, until Ctrl+C.

import type { Command } from 'commander';
import { errorMessage } from '../engine/errors';
import { BackgroundRuntime, DEFAULT_QUIET_MS } from '../engine/ops/background';
import { shown } from './display';
import { folderPlaces, printSettled, settledJson } from './merge-commands';
import { UsageError } from './usage-error';
import { parseSettle, session, versionJson, type CliContext } from './version-commands';

export function registerWatchCommand(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('watch tracked folders and record each saved change as a version (Ctrl+C stops)')
    .option('--delay <ms>', 'record changes once a folder has been quiet this long', String(DEFAULT_QUIET_MS))
    .option('--sync [remote]', 'also sync with a remote (default: the first one) after recording changes')
    .action(async (opts: { delay: string; sync?: string | boolean }) => {
      const quietMs = parseSettle(opts.delay, '--delay') ?? DEFAULT_QUIET_MS;
      const s = await session(ctx);
      const json = ctx.globals().json === true;
      const remoteName = typeof opts.sync === 'string' ? opts.sync : undefined;
      const { state } = await s.versions();
      if (opts.sync !== undefined) {
        const remotes = state.remotes.list();
        if (remotes.length === 0) throw new UsageError('--sync needs a remote: add one with `strata remote add NAME --hot URL`');
        if (remoteName !== undefined && !remotes.some((r) => r.name === remoteName)) throw new UsageError(`no remote named "${remoteName}" (see \`strata remote list\`)`);
      }
      const time = (): string => new Date().toLocaleTimeString('sv-SE');
      const runtime = new BackgroundRuntime(s, {
        watch: true,
        sync: opts.sync !== undefined ? 'automatic' : 'off',
        ...(remoteName !== undefined ? { remote: remoteName } : {}),
        quietMs,
        settleMs: quietMs,
      }, {
        warning: (path, message) => ctx.warn(shown(`warning: ${path}: ${message}`)),
        watchFailed: (error) => ctx.warn(`strata: ${errorMessage(error)}`),
        scanFailed: (error) => ctx.warn(`strata: ${errorMessage(error)}`),
        scanned: (folder, result) => {
          if (json) {
            for (const record of result.versions) ctx.out(JSON.stringify({ folder: folder.name, ...versionJson({ record, tags: [] }) }));
            return;
          }
          for (const v of result.versions) ctx.out(shown(`${time()}  ${folder.name}/${v.path}  @${v.n}  ${v.op}  ${v.summary}`));
        },
        synced: (remote, r) => {
          if (r.uploaded.objects + r.downloaded.objects === 0) return;
          if (json) ctx.out(JSON.stringify({ synced: remote, uploaded: r.uploaded, downloaded: r.downloaded }));
          else ctx.out(`${time()}  synced with "${remote}": ${r.uploaded.objects} up, ${r.downloaded.objects} down`);
        },
        syncFailed: (remote, message, retryInMs) => ctx.warn(`strata: sync with "${remote}" failed (${message}); retrying in ${Math.round(retryInMs / 1000)} s`),
        settled: (r) => {
          if (json) {
            if (r.versions.length + r.written.length + r.removed.length + r.kept.length + r.waiting.length + r.conflicts.length > 0) ctx.out(JSON.stringify({ settled: settledJson(r) }));
            return;
          }
          void folderPlaces(s).then((places) => printSettled(ctx, places, r, `${time()}  `));
        },
        historyProblems: (problems) => {
          for (const p of problems) ctx.warn(`damaged: ${p.object}: ${p.message}`);
        },
        migrated: (remote, moved) => {
          if (moved.moved.objects === 0) return;
          if (json) ctx.out(JSON.stringify({ migrated: remote, ...moved }));
          else ctx.out(`${time()}  moved ${moved.moved.objects} packs between "${remote}"'s tiers`);
        },
      });
      const folders = await runtime.start();
      if (folders.length === 0) {
        await runtime.stop();
        throw new Error('no folders are tracked yet: add one with `strata add PATH`');
      }
      if (!json) ctx.out(`watching ${folders.map((f) => `"${f.name}"`).join(', ')} (changes are recorded after ${quietMs} ms of quiet; Ctrl+C stops)`);
      await new Promise<void>((resolve) => {
        process.removeAllListeners('SIGINT');
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await runtime.stop();
      if (!json) ctx.out('stopped watching');
    });
}
