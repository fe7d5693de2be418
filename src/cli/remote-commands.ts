// The remote commands of the CLI: remote add|list|remove, sync and clone.
// Thin: parsing and printing here; the work in engine/ops/remotes.ts (and
// settling other devices' versions after a sync, engine/ops/settle.ts).

import type { Command } from 'commander';
import {
  addRemote,
  clone,
  folderRemote,
  listRemotes,
  reachRemote,
  removeRemote,
  syncOnce,
  type SyncOnceOptions,
  type SyncOnceResult,
  type SyncProgress,
  type SyncResult,
} from '../engine/ops/remotes';
import { settle, type ReconcileResult } from '../engine/ops/settle';
import { folderPlaces, printSettled, settledJson } from './merge-commands';
import { currentPassphrase } from './passphrase';
import { formatBytes, progressBar, type ProgressSink } from './progress';
import { UsageError } from './usage-error';
import { warnStray } from './strays';
import type { CliContext } from './version-commands';

/** Progress of a sync: a bar (from its first step), or with --json lines on stderr (a few a second), for programs driving the CLI. */
function syncProgress(ctx: CliContext): { onProgress: (p: SyncProgress) => void; stop: () => void } {
  const g = ctx.globals();
  let bar: ProgressSink | undefined;
  let lastEvent = 0;
  const event = (p: SyncProgress): void => {
    const now = Date.now();
    if (now - lastEvent < 250 && p.done < p.total) return;
    lastEvent = now;
    process.stderr.write(`${JSON.stringify({ event: 'sync-progress', ...p })}\n`);
  };
  return {
    onProgress: (p) => {
      if (g.json && !g.quiet) event(p);
      bar ??= progressBar('sync', !g.json && !g.quiet);
      bar.update(p.bytes, p.totalBytes, { what: `${p.direction === 'upload' ? 'up' : 'down'} ${p.done}/${p.total}` });
    },
    stop: () => bar?.stop(),
  };
}

/** Files that are not objects were not copied: say so, on either side. */
function warnStrays(result: { strays: SyncResult['strays'] }, remoteLocation: string): void {
  for (const stray of result.strays) warnStray(stray.name, stray.side === 'remote' ? remoteLocation : undefined);
}

async function runSync(ctx: CliContext, remote: string | undefined, options: SyncOnceOptions): Promise<SyncOnceResult> {
  const progress = syncProgress(ctx);
  let result: SyncOnceResult;
  try {
    // Objects are copied sealed as they are: sync needs no passphrase.
    result = await syncOnce(ctx.repoLocation(), remote, { ...options, onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
  warnStrays(result, result.remoteLocation);
  return result;
}

/** What settling after a sync did, and where the tracked folders are here (for the commands its conflicts suggest). */
interface Settled {
  places: Map<string, string>;
  result: ReconcileResult;
}

/**
 * After a sync that brought other devices' versions: settles them into the
 * tracked folders. That needs the passphrase (sync itself does not): without
 * one, says so and leaves it for the next sync.
 */
async function settleAfterSync(ctx: CliContext): Promise<Settled | undefined> {
  let s;
  try {
    s = await ctx.openSession();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    ctx.warn('strata: other devices\' versions arrived; they are put in your folders by a sync with the passphrase available ($STRATA_PASSPHRASE or a terminal)');
    return undefined;
  }
  const result = await settle(s);
  return { places: await folderPlaces(s), result };
}

function report(ctx: CliContext, remote: string, result: SyncResult, settled?: Settled): void {
  if (ctx.globals().json) {
    ctx.printJson({ remote, ...result, ...(settled ? { settled: settledJson(settled.result) } : {}) });
    return;
  }
  for (const c of result.conflicts) ctx.warn(`warning: ${c.name} differs in size (here ${c.local}, remote ${c.remote}); left as it is (run \`strata check\` on both)`);
  if (settled) printSettled(ctx, settled.places, settled.result);
  ctx.out(`synced with ${remote}: ${result.uploaded.objects} objects up (${formatBytes(result.uploaded.bytes)}), ${result.downloaded.objects} down (${formatBytes(result.downloaded.bytes)})`);
}

/** "2M" -> 2 MiB per second; K, M, G are binary multiples. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text.trim());
  const value = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isFinite(value) || value < 1024) throw new UsageError(`--limit-rate takes bytes per second with K, M or G, at least 1K (e.g. 500K, 2M), got ${JSON.stringify(text)}`);
  return Math.floor(value);
}

export function registerRemoteCommands(program: Command, ctx: CliContext): void {
  const remote = program.command('remote').description('remote replicas of this repository (a folder, or S3 with hot and cold tiers)');
  remote
    .command('add')
    .description('add a remote: a folder (e.g. an external disk; it gets a hot and a cold part), or --hot URL [--cold URL] with file:///path or s3://bucket/prefix?endpoint=...&region=...&storage-class=...&cold-class=...')
    .argument('<name>', 'a name for it, e.g. "backup" or "s3"')
    .argument('[folder]', 'a folder to hold the remote: its hot/ and cold/ parts are made inside')
    .option('--hot <url>', 'where hot objects go (metadata always)')
    .option('--cold <url>', 'where cold objects go (default: the hot URL; for S3 its cold storage class)')
    .option('--no-check', 'do not check that the remote can be reached now')
    .action(async (name: string, folder: string | undefined, given: { hot?: string; cold?: string; check: boolean }) => {
      if (folder !== undefined && given.hot !== undefined) throw new UsageError('give a folder or --hot URL, not both');
      if (folder === undefined && given.hot === undefined) throw new UsageError('give a folder (e.g. /media/disk/strata) or --hot URL [--cold URL]');
      const wanted = folder !== undefined ? folderRemote(name, folder) : { name, hot: given.hot as string, ...(given.cold ? { cold: given.cold } : {}) };
      // Checked as the app checks it: the name free, a folder outside the repository.
      const config = await addRemote(ctx.repoLocation(), wanted, given.check ? { reach: reachRemote } : {});
      if (ctx.globals().json) ctx.printJson(config);
      else ctx.out(`added remote "${config.name}": hot ${config.hot}${config.cold ? `, cold ${config.cold}` : ''}`);
    });
  remote
    .command('list')
    .description('list remotes')
    .action(async () => {
      const remotes = await listRemotes(ctx.repoLocation());
      if (ctx.globals().json) {
        ctx.printJson(remotes);
        return;
      }
      if (remotes.length === 0) ctx.out('no remotes: strata remote add NAME --hot URL');
      for (const r of remotes) ctx.out(`${r.name.padEnd(16)} hot ${r.hot}${r.cold ? `\n${''.padEnd(16)} cold ${r.cold}` : ''}`);
    });
  remote
    .command('remove')
    .description('forget a remote (nothing is deleted there)')
    .argument('<name>', 'the remote')
    .action(async (name: string) => {
      await removeRemote(ctx.repoLocation(), name);
      ctx.out(`removed remote "${name}" (its objects are left in place)`);
    });

  program
    .command('sync')
    .description('copy to the remote what it lacks, and from it what this machine lacks (other devices\' work)')
    .argument('[remote]', 'the remote (default: the only one)')
    .option('--upload-only', 'only upload')
    .option('--download-only', 'only download')
    .option('--limit-rate <rate>', 'bandwidth limit in bytes per second (suffixes K, M, G), e.g. 2M')
    .action(async (name: string | undefined, opts: { uploadOnly?: boolean; downloadOnly?: boolean; limitRate?: string }) => {
      if (opts.uploadOnly && opts.downloadOnly) throw new UsageError('--upload-only and --download-only exclude each other');
      const rate = opts.limitRate !== undefined ? parseRate(opts.limitRate) : undefined;
      const options: SyncOnceOptions = { ...(rate ? { bytesPerSecond: rate } : {}), onNotice: (message) => ctx.warn(`warning: ${message}`) };
      const first = await runSync(ctx, name, { ...options, upload: !opts.downloadOnly, download: !opts.uploadOnly });
      const config = first.remote;
      const result: SyncResult = { uploaded: first.uploaded, downloaded: first.downloaded, conflicts: first.conflicts, strays: first.strays };
      // Other devices' versions into the tracked folders: merges, conflicts (ops/settle.ts).
      const settled = opts.uploadOnly || !first.unsettled ? undefined : await settleAfterSync(ctx);
      if (settled && settled.result.versions.length > 0 && !opts.downloadOnly) {
        // Merges recorded here go up now, so the other devices have them at their next sync.
        const again = await runSync(ctx, config.name, { ...options, upload: true, download: false });
        result.uploaded.objects += again.uploaded.objects;
        result.uploaded.bytes += again.uploaded.bytes;
      }
      report(ctx, config.name, result, settled);
    });

  program
    .command('clone')
    .description('set up this machine from a remote alone: a new local repository (a new device) with everything')
    .argument('<url>', 'the remote\'s (hot) URL: file:///path or s3://..., or a folder made by `remote add NAME FOLDER`')
    .option('--cold <url>', 'the remote\'s cold URL, if it has its own')
    .option('--name <name>', 'name of the remote in the new repository', 'origin')
    .action(async (url: string, opts: { cold?: string; name: string }) => {
      const progress = syncProgress(ctx);
      let cloned;
      try {
        // The remote is checked before the passphrase is asked for: a wrong URL, or a remote a sync stopped early, is said as such (exit 3).
        cloned = await clone(url, ctx.repoLocation(), () => currentPassphrase(), { name: opts.name, ...(opts.cold ? { cold: opts.cold } : {}), onProgress: progress.onProgress });
      } finally {
        progress.stop();
      }
      const { repository, remote: config, continued, recorded, sync: result } = cloned;
      warnStrays(result, cloned.remoteLocation);
      if (ctx.globals().json) ctx.printJson({ repository, remote: config, ...(continued ? { continued: true } : {}), ...result });
      else ctx.out(`cloned ${result.downloaded.objects} objects (${formatBytes(result.downloaded.bytes)}) into ${repository} as a new device${continued ? ' (continuing the clone begun there)' : ''}; remote "${config.name}" ${recorded ? 'kept' : 'added'}`);
    });
}
