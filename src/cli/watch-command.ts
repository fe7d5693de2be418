// `strata watch`: records each saved change as a version, and with --sync
// runs the background sync (then settles other devices' versions and
// migrates tiers), printing what happens until Ctrl+C.

import type { Command } from 'commander';
import { BackgroundSync } from '../engine/sync/background-sync';
import { openRemote } from '../engine/sync/remote-location';
import { LocalView } from '../engine/tiers/local-view';
import { Tiers } from '../engine/tiers/tiers';
import { DEFAULT_QUIET_MS, FolderWatcher } from '../engine/watch/folder-watcher';
import type { Workspace } from '../engine/versions/workspace';
import { shown } from './display';
import { printSettled, settledJson } from './merge-commands';
import { UsageError } from './usage-error';
import { parseSettle, versionJson, workspace, type CliContext } from './version-commands';

/** A background sync for `watch --sync`: first right away, then after each recorded change. */
async function startBackgroundSync(ctx: CliContext, ws: Workspace, name: string | undefined, json: boolean, settle: () => void): Promise<BackgroundSync> {
  const remotes = ws.state.remotes();
  if (remotes.length === 0) throw new UsageError('--sync needs a remote: add one with `strata remote add NAME --hot URL`');
  const remote = name === undefined ? remotes[0] : remotes.find((r) => r.name === name);
  if (!remote) throw new UsageError(`no remote named "${name}" (see \`strata remote list\`)`);
  const backend = await openRemote(remote, { create: true });
  const view = ws.repo.backend instanceof LocalView ? ws.repo.backend : undefined;
  // Sync reads the plain local store: copying packs is not reading them, and evicted packs stay on the remote.
  const sync = new BackgroundSync(view ? view.local : ws.repo.backend, backend, {
    sync: { skipDownload: (n) => view?.tierState.isEvicted(n) ?? false },
    // Then tier migration in the background: what the policy wants moved, resumably, a little each time.
    afterSync: async () => {
      if (!view || !backend.setTier) return;
      const tiers = await Tiers.open(ws.repo, ctx.repoLocation(), ws.history);
      const moved = await tiers.migrate(backend, await tiers.report({ name: remote.name, backend }));
      if (moved.moved.objects > 0) {
        if (json) ctx.out(JSON.stringify({ migrated: remote.name, ...moved }));
        else ctx.out(`${new Date().toLocaleTimeString('sv-SE')}  moved ${moved.moved.objects} packs between "${remote.name}"'s tiers`);
      }
    },
    onSynced: (r) => {
      if (r.downloaded.objects > 0) settle(); // other devices' versions into the folders
      if (r.uploaded.objects + r.downloaded.objects === 0) return;
      if (json) ctx.out(JSON.stringify({ synced: remote.name, uploaded: r.uploaded, downloaded: r.downloaded }));
      else ctx.out(`${new Date().toLocaleTimeString('sv-SE')}  synced with "${remote.name}": ${r.uploaded.objects} up, ${r.downloaded.objects} down`);
    },
    onError: (message, retryInMs) => ctx.warn(`strata: sync with "${remote.name}" failed (${message}); retrying in ${Math.round(retryInMs / 1000)} s`),
  });
  sync.request(0);
  return sync;
}

export function registerWatchCommand(program: Command, ctx: CliContext): void {
  const onWarning = (path: string, message: string): void => ctx.warn(shown(`warning: ${path}: ${message}`));

  program
    .command('watch')
    .description('watch tracked folders and record each saved change as a version (Ctrl+C stops)')
    .option('--delay <ms>', 'record changes once a folder has been quiet this long', String(DEFAULT_QUIET_MS))
    .option('--sync [remote]', 'also sync with a remote (default: the only one) after recording changes')
    .action(async (opts: { delay: string; sync?: string | boolean }) => {
      const quietMs = parseSettle(opts.delay, '--delay') ?? DEFAULT_QUIET_MS;
      const ws = await workspace(ctx);
      const json = ctx.globals().json === true;
      const settling = { run: (): void => undefined };
      const background = opts.sync !== undefined ? await startBackgroundSync(ctx, ws, typeof opts.sync === 'string' ? opts.sync : undefined, json, () => settling.run()) : undefined;
      const watcher = new FolderWatcher(ws, {
        quietMs,
        onWarning,
        onError: (error) => ctx.warn(`strata: ${error instanceof Error ? error.message : String(error)}`),
        onScan: (folder, result) => {
          if (result.versions.length > 0) background?.request();
          if (json) {
            for (const record of result.versions) ctx.out(JSON.stringify({ folder: folder.name, ...versionJson({ record, tags: [] }) }));
            return;
          }
          const time = new Date().toLocaleTimeString('sv-SE');
          for (const v of result.versions) ctx.out(shown(`${time}  ${folder.name}/${v.path}  @${v.n}  ${v.op}  ${v.summary}`));
        },
      });
      // After a sync brought other devices' versions: settle them between scans, and send up what that recorded.
      settling.run = (): void => {
        void watcher.run(() => ws.reconcile({ settleMs: quietMs, onWarning })).then((r) => {
          if (r.versions.length > 0) background?.request();
          if (json) {
            if (r.versions.length + r.written.length + r.removed.length + r.kept.length + r.waiting.length + r.conflicts.length > 0) ctx.out(JSON.stringify({ settled: settledJson(r) }));
          } else {
            printSettled(ctx, ws, r, `${new Date().toLocaleTimeString('sv-SE')}  `);
          }
        }, (error: unknown) => ctx.warn(`strata: settling other devices' versions failed: ${error instanceof Error ? error.message : String(error)}`));
      };
      const folders = await watcher.start();
      if (background) settling.run(); // catch up with what earlier syncs brought
      if (!json) ctx.out(`watching ${folders.map((f) => `"${f.name}"`).join(', ')} (changes are recorded after ${quietMs} ms of quiet; Ctrl+C stops)`);
      await new Promise<void>((resolve) => {
        process.removeAllListeners('SIGINT');
        const stop = (): void => {
          void watcher.stop().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await background?.stop();
      if (!json) ctx.out('stopped watching');
    });

}
