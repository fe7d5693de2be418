// The Dashboard's numbers: where the packs are (here, evicted), what the
// repository holds against what it stores (logical bytes of every version
// and snapshot, deduplication and compression savings, from ops/maintenance.ts
// stats and the chunk index), the remote's tiers and monthly cost
// (ops/tiers.ts; an unreachable remote is an alert, not a failure), the sync
// status, and alerts: sync errors, conflicts, what the notices still hold
// (damaged or missing history, stray files, a repaired tier state, files an
// adopted course lacks here, names not recorded), and low disk space where
// the repository lives.

import { statfs } from 'node:fs/promises';
import type { Alert, DashboardSummary, SyncStatus } from '../../shared/api';
import { errorMessage } from '../errors';
import { BlobType } from '../repo/format';
import { trackedFolders } from '../ops/folders';
import { stats } from '../ops/maintenance';
import { listRemotes } from '../ops/remotes';
import { conflicts } from '../ops/settle';
import { costOn, reportOn, type TierReport } from '../ops/tiers';
import { openRemote } from '../sync/remote-location';
import type { AppContext } from './context';
import { withTimeout } from './timeout';

/** Less free space than this fraction of the disk, or than LOW_DISK_BYTES, is an alert. */
const LOW_DISK_FRACTION = 0.05;
const LOW_DISK_BYTES = 1024 ** 3;
/** How long the remote may take to list its objects for the Dashboard. */
const REMOTE_TIMEOUT_MS = 10_000;

export interface DiskSpace {
  free: number;
  total: number;
}

export async function diskSpace(path: string): Promise<DiskSpace> {
  const s = await statfs(path);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

/** Logical and stored bytes: every version's and every snapshot file's size, against the distinct data chunks as stored. */
async function storageNumbers(ctx: AppContext): Promise<Pick<DashboardSummary, 'logicalBytes' | 'storedBytes' | 'dedupSavedBytes' | 'compressionSavedBytes'>> {
  const { repo } = ctx.session;
  const { history } = await ctx.session.versions();
  const snapshots = await stats(ctx.session); // snapshots' logical bytes, and every object's stored bytes
  let logical = snapshots.logicalBytes;
  for (const file of history.allFiles()) for (const v of file.versions) if (v.op !== 'delete') logical += v.size;
  let unique = 0;
  let uniqueStored = 0;
  for (const entry of repo.index.entries()) {
    if (entry.type !== BlobType.data) continue;
    unique += entry.rawLength;
    uniqueStored += entry.length;
  }
  return {
    logicalBytes: logical,
    storedBytes: snapshots.storedBytes,
    dedupSavedBytes: Math.max(0, logical - unique),
    compressionSavedBytes: Math.max(0, unique - uniqueStored),
  };
}

export async function dashboard(ctx: AppContext, sync: SyncStatus, space: (path: string) => Promise<DiskSpace> = diskSpace): Promise<DashboardSummary> {
  const { session } = ctx;
  const alerts: Alert[] = [];
  const { state, history } = await session.versions();
  let report: TierReport | undefined;
  let remoteSummary: Pick<DashboardSummary, 'remote' | 'cost'> = {};
  const remote = (await listRemotes(session))[0];
  if (remote) {
    try {
      const backend = await withTimeout(openRemote(remote), REMOTE_TIMEOUT_MS, `remote "${remote.name}"`);
      try {
        const priced = await withTimeout(costOn(session, { name: remote.name, backend }, remote), REMOTE_TIMEOUT_MS, `remote "${remote.name}"`);
        const { cost } = priced;
        report = priced.report;
        remoteSummary = {
          ...(report.remote ? { remote: { name: remote.name, hot: report.remote.hot, cold: report.remote.cold, tiered: report.remote.tiered } } : {}),
          cost: { perMonth: cost.perMonth.total, allHot: cost.allHot, savingsPercent: cost.savingsPercent, currency: cost.currency },
        };
      } finally {
        await backend.close();
      }
    } catch (error) {
      report = undefined;
      alerts.push({ level: 'warning', kind: 'sync', message: `Remote "${remote.name}" cannot be reached: ${errorMessage(error)}` });
    }
  }
  report ??= await reportOn(session);
  const summary: DashboardSummary = {
    local: { ...report.local.kept },
    evicted: { ...report.local.evicted },
    ...(await storageNumbers(ctx)),
    ...remoteSummary,
    sync,
    alerts,
  };

  if (sync.state === 'error') alerts.push({ level: 'error', kind: 'sync', message: `Sync with "${sync.remote ?? 'the remote'}" failed: ${sync.error ?? 'unknown error'}` });
  for (const c of await conflicts(session)) {
    alerts.push({ level: 'warning', kind: 'conflict', message: `${c.folder}/${c.path}: ${c.kind === 'path' ? 'a different file is in the way of one from another device' : 'changed on two devices at once; keep one version'}` });
  }
  // Damaged or missing history, strays, a repaired tier state, files an adopted course lacks here, names not recorded.
  alerts.push(...ctx.notices.alerts(history.problems(state.batches), await trackedFolders(session)));
  try {
    const disk = await space(session.dir);
    if (disk.free < LOW_DISK_BYTES || (disk.total > 0 && disk.free / disk.total < LOW_DISK_FRACTION)) {
      alerts.push({ level: disk.free < LOW_DISK_BYTES / 4 ? 'error' : 'warning', kind: 'disk', message: `Low disk space where the repository is: ${formatGiB(disk.free)} free of ${formatGiB(disk.total)}.` });
    }
  } catch (error) {
    alerts.push({ level: 'warning', kind: 'disk', message: `Cannot tell the free disk space: ${errorMessage(error)}` });
  }
  return summary;
}

function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
