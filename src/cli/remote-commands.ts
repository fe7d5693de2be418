// The remote commands of the CLI: remote add|list|remove, sync and clone.
// Thin: parsing and printing here; the work in engine/sync.

import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { EngineError } from '../engine/errors';
import { backendFor, initLocalStoreAt, localPath, localRepositoryExists } from '../engine/repo/location';
import { objectNames } from '../engine/repo/format';
import { assertRepository, Repository } from '../engine/repo/repository';
import type { Backend } from '../engine/storage/backend';
import { ThrottledBackend } from '../engine/storage/throttle';
import { normaliseLocation, openRemote, validateRemote, type RemoteConfig } from '../engine/sync/remote-location';
import { addRemote } from '../engine/sync/remotes';
import { syncRepositories, type SyncProgress, type SyncResult } from '../engine/sync/replicate';
import { TierState } from '../engine/tiers/tier-state';
import { LocalState } from '../engine/versions/local-state';
import { prepareSettling, printSettled, settleAfterSync, settledJson } from './merge-commands';
import { currentPassphrase } from './passphrase';
import { formatBytes, progressBar } from './progress';
import { UsageError } from './usage-error';
import { warnStray } from './strays';
import type { CliContext } from './version-commands';

async function state(ctx: CliContext): Promise<LocalState> {
  return LocalState.load(localPath(ctx.repoLocation()));
}

/** The remote named, else the only one; a clear error when there is none, or several and none named. */
export function pickRemote(remotes: RemoteConfig[], name: string | undefined): RemoteConfig {
  if (remotes.length === 0) throw new EngineError('INVALID_ARGUMENT', 'no remote yet: add one with `strata remote add NAME --hot URL`');
  if (name === undefined) {
    if (remotes.length > 1) throw new UsageError(`several remotes (${remotes.map((r) => r.name).join(', ')}): name the one to use`);
    return remotes[0] as RemoteConfig;
  }
  const remote = remotes.find((r) => r.name === name);
  if (!remote) throw new EngineError('NOT_FOUND', `no remote named "${name}" (see \`strata remote list\`)`);
  return remote;
}

async function runSync(ctx: CliContext, local: Backend, remote: Backend, options: { upload: boolean; download: boolean; skipDownload?: (name: string) => boolean }): Promise<SyncResult> {
  const g = ctx.globals();
  const bar = progressBar('sync', !g.json && !g.quiet);
  // With --json, progress goes to stderr as JSON lines (a few a second), for programs driving the CLI.
  let lastEvent = 0;
  const event = (p: SyncProgress): void => {
    const now = Date.now();
    if (now - lastEvent < 250 && p.done < p.total) return;
    lastEvent = now;
    process.stderr.write(`${JSON.stringify({ event: 'sync-progress', ...p })}\n`);
  };
  let result: SyncResult;
  try {
    result = await syncRepositories(local, remote, {
      ...options,
      onProgress: (p) => {
        if (g.json && !g.quiet) event(p);
        bar.update(p.bytes, p.totalBytes, { what: `${p.direction === 'upload' ? 'up' : 'down'} ${p.done}/${p.total}` });
      },
    });
  } finally {
    bar.stop();
  }
  // Files that are not objects were not copied: say so, on either side.
  for (const stray of result.strays) warnStray(stray.name, stray.side === 'remote' ? remote.location : undefined);
  return result;
}

function report(ctx: CliContext, remote: string, result: SyncResult, settled?: Awaited<ReturnType<typeof settleAfterSync>>): void {
  if (ctx.globals().json) {
    ctx.printJson({ remote, ...result, ...(settled ? { settled: settledJson(settled.result) } : {}) });
    return;
  }
  for (const c of result.conflicts) ctx.warn(`warning: ${c.name} differs in size (here ${c.local}, remote ${c.remote}); left as it is (run \`strata check\` on both)`);
  if (settled) printSettled(ctx, settled.ws, settled.result);
  ctx.out(`synced with ${remote}: ${result.uploaded.objects} objects up (${formatBytes(result.uploaded.bytes)}), ${result.downloaded.objects} down (${formatBytes(result.downloaded.bytes)})`);
}

/** Opens a remote (making a folder remote's folders) and lists it: reachable, and listable with these credentials. */
async function reach(config: RemoteConfig): Promise<void> {
  const backend = await openRemote(config, { create: true });
  try {
    for await (const info of backend.list('keys/')) void info;
  } finally {
    await backend.close();
  }
}

/** "2M" -> 2 MiB per second; K, M, G are binary multiples. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text.trim());
  const value = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isFinite(value) || value < 1024) throw new UsageError(`--limit-rate takes bytes per second with K, M or G, at least 1K (e.g. 500K, 2M), got ${JSON.stringify(text)}`);
  return Math.floor(value);
}

/**
 * Whether `dir` holds a clone of `remote` begun earlier (stopped once its
 * config had arrived): the same config, so the same repository. Cloning again
 * continues it, downloading the rest. A repository there that is another one,
 * or one whose remote of this name is elsewhere, is refused: nothing of it is
 * touched.
 */
async function earlierClone(dir: string, remote: Backend, config: RemoteConfig): Promise<boolean> {
  if (!(await localRepositoryExists(dir))) return false;
  const local = backendFor(dir);
  try {
    const [here, there] = await Promise.all([local.get(objectNames.config), remote.get(objectNames.config)]);
    if (Buffer.compare(here, there) !== 0) {
      throw new EngineError('REPO_EXISTS', `a repository already exists at ${dir}, and it is not the one at ${config.hot}: clone into another place (--repo DIR)`);
    }
  } finally {
    await local.close();
  }
  const named = (await LocalState.load(dir)).remotes().find((r) => r.name === config.name);
  if (named && (named.hot !== config.hot || named.cold !== config.cold)) {
    throw new EngineError('REPO_EXISTS', `a clone of this repository exists at ${dir} with its remote "${config.name}" at ${named.hot}: run \`strata sync ${config.name}\` there, or clone with another --name`);
  }
  return true;
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
      const opts = folder !== undefined ? { ...given, hot: join(resolve(folder), 'hot'), cold: join(resolve(folder), 'cold') } : { ...given, hot: given.hot as string };
      // Checked as the app checks it (engine/sync/remotes.ts): the name free, a folder outside the repository.
      const config = await addRemote(localPath(ctx.repoLocation()), await state(ctx), { name, hot: opts.hot, ...(opts.cold ? { cold: opts.cold } : {}) }, {
        ...(opts.check ? { reach } : {}),
      });
      if (ctx.globals().json) ctx.printJson(config);
      else ctx.out(`added remote "${config.name}": hot ${config.hot}${config.cold ? `, cold ${config.cold}` : ''}`);
    });
  remote
    .command('list')
    .description('list remotes')
    .action(async () => {
      const remotes = (await state(ctx)).remotes();
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
      const st = await state(ctx);
      pickRemote(st.remotes(), name);
      await st.setRemotes(st.remotes().filter((r) => r.name !== name));
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
      const config = pickRemote((await state(ctx)).remotes(), name);
      // Objects are copied sealed as they are: sync needs no passphrase.
      const local = backendFor(ctx.repoLocation());
      const tierState = await TierState.load(localPath(ctx.repoLocation()), (message) => ctx.warn(`warning: ${message}`));
      const opened = await openRemote(config, { create: true });
      const backend = rate ? new ThrottledBackend(opened, { bytesPerSecond: rate }) : opened;
      try {
        await prepareSettling(ctx, local);
        const result = await runSync(ctx, local, backend, { upload: !opts.downloadOnly, download: !opts.uploadOnly, skipDownload: (n) => tierState.isEvicted(n) });
        // Other devices' versions into the tracked folders: merges, conflicts (merge-commands.ts).
        const settled = opts.uploadOnly ? undefined : await settleAfterSync(ctx, local);
        if (settled && settled.result.versions.length > 0 && !opts.downloadOnly) {
          // Merges recorded here go up now, so the other devices have them at their next sync.
          const again = await runSync(ctx, local, backend, { upload: true, download: false });
          result.uploaded.objects += again.uploaded.objects;
          result.uploaded.bytes += again.uploaded.bytes;
        }
        report(ctx, config.name, result, settled);
      } finally {
        await backend.close();
        await local.close();
      }
    });

  program
    .command('clone')
    .description('set up this machine from a remote alone: a new local repository (a new device) with everything')
    .argument('<url>', 'the remote\'s (hot) URL: file:///path or s3://..., or a folder made by `remote add NAME FOLDER`')
    .option('--cold <url>', 'the remote\'s cold URL, if it has its own')
    .option('--name <name>', 'name of the remote in the new repository', 'origin')
    .action(async (url: string, opts: { cold?: string; name: string }) => {
      const dir = localPath(ctx.repoLocation());
      let given = { name: opts.name, hot: url, ...(opts.cold ? { cold: opts.cold } : {}) };
      // A folder remote made with `remote add NAME FOLDER`: its hot/ and cold/ parts.
      const folder = url.startsWith('s3://') ? undefined : normaliseLocation(url);
      if (folder && !opts.cold && (await localRepositoryExists(join(localPath(folder), 'hot'))) && !(await localRepositoryExists(localPath(folder)))) {
        given = { name: opts.name, hot: join(localPath(folder), 'hot'), cold: join(localPath(folder), 'cold') };
      }
      const config = validateRemote(given);
      const backend = await openRemote(config);
      try {
        // The remote first: a wrong URL, or a remote a sync stopped early, is said as such (exit 3), before any prompt.
        await assertRepository(backend);
        const continued = await earlierClone(dir, backend, config);
        const passphrase = await currentPassphrase();
        // The passphrase must open the remote before anything is downloaded: a wrong one leaves nothing behind.
        await Repository.open(backend, passphrase);
        const local = continued ? backendFor(dir) : await initLocalStoreAt(dir);
        try {
          const result = await runSync(ctx, local, backend, { upload: false, download: true });
          const st = await LocalState.load(dir);
          const recorded = st.remotes().some((r) => r.name === config.name); // by an earlier clone that got this far
          if (!recorded) await st.setRemotes([...st.remotes(), config]);
          if (ctx.globals().json) ctx.printJson({ repository: resolve(dir), remote: config, ...(continued ? { continued: true } : {}), ...result });
          else ctx.out(`cloned ${result.downloaded.objects} objects (${formatBytes(result.downloaded.bytes)}) into ${resolve(dir)} as a new device${continued ? ' (continuing the clone begun there)' : ''}; remote "${config.name}" ${recorded ? 'kept' : 'added'}`);
        } finally {
          await local.close();
        }
      } finally {
        await backend.close();
      }
    });
}
