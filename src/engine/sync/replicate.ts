// Replication between the local repository and a remote one. Both have the
// same format and objects never change, so a sync is a set difference by
// name in each direction: upload what the remote lacks, download what this
// machine lacks (other devices' packs, index objects, snapshots and version
// batches). Objects are copied in the repository's write order (key slots,
// then config, then packs, then index objects, then snapshots and version
// batches), so whatever a sync killed at any moment leaves on either side is
// a valid repository; the next sync simply continues. Only objects are
// copied: a file that is not one (a stray, repo/listing.ts) stays where it is. Transfers run a few at a
// time; retries with backoff come from the backends' retry wrapper.

import { Limiter } from '../async/limiter';
import { EngineError, errorMessage } from '../errors';
import { kindOfPrefix, objectNames } from '../repo/format';
import { listObjects } from '../repo/listing';
import { NotFoundError, type Backend, type ObjectInfo, type Tier } from '../storage/backend';
import { parseBatchName } from '../repo/format';

/**
 * Object groups in write order; an object is copied only after every group
 * before its own. Key slots before config, as `init` writes them: a location
 * holds a repository once `config` exists, and one without key slots could not
 * be opened.
 */
const GROUPS: ReadonlyArray<{ prefix: string; what: string }> = [
  { prefix: objectNames.keyPrefix, what: 'key slots' },
  { prefix: objectNames.config, what: 'config' },
  { prefix: objectNames.packPrefix, what: 'packs' },
  { prefix: objectNames.indexPrefix, what: 'index objects' },
  { prefix: objectNames.snapshotPrefix, what: 'snapshots' },
  { prefix: objectNames.versionsPrefix, what: 'version batches' },
];

export interface SyncProgress {
  direction: 'upload' | 'download';
  /** Objects done and to do in this direction. */
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
  name: string;
}

export interface DirectionStats {
  objects: number;
  bytes: number;
}

export interface SyncResult {
  uploaded: DirectionStats;
  downloaded: DirectionStats;
  /** Objects present on both sides with different sizes: never overwritten, reported. */
  conflicts: Array<{ name: string; local: number; remote: number }>;
  /** Files on either side that are not objects (a `.DS_Store`, a sync tool's temp file): not copied, reported. Local ones first, each side sorted. */
  strays: Array<{ side: 'local' | 'remote'; name: string }>;
}

export interface SyncOptions {
  /** Copy local -> remote (default true) and remote -> local (default true). */
  upload?: boolean;
  download?: boolean;
  /** Transfers at once (default 4). */
  concurrency?: number;
  /** The tier of an uploaded object (default: everything hot; metadata is always hot). */
  tierOf?: (name: string) => Tier;
  onProgress?: (progress: SyncProgress) => void;
  /** Objects this machine does not want back (packs evicted here: the remote holds them). */
  skipDownload?: (name: string) => boolean;
  /** Stops the sync between objects (what was copied stays: a valid state on both sides); it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Every object on one side, by name; files that are not objects (strays, listing.ts) go to `onStray`, never into a copy. */
async function inventory(backend: Backend, onStray: (name: string) => void): Promise<Map<string, ObjectInfo>> {
  const all = new Map<string, ObjectInfo>();
  for (const { prefix } of GROUPS) {
    if (prefix === objectNames.config) {
      try {
        all.set(prefix, await backend.head(prefix));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      continue;
    }
    for (const info of await listObjects(backend, kindOfPrefix(prefix), onStray)) all.set(info.name, info);
  }
  return all;
}

function groupOf(name: string): number {
  const i = GROUPS.findIndex((g) => (g.prefix === objectNames.config ? name === g.prefix : name.startsWith(g.prefix)));
  return i < 0 ? GROUPS.length : i;
}

async function copy(
  from: Backend,
  to: Backend,
  names: string[],
  sizes: Map<string, number>,
  direction: 'upload' | 'download',
  options: SyncOptions,
): Promise<DirectionStats> {
  const stats: DirectionStats = { objects: 0, bytes: 0 };
  const totalBytes = names.reduce((n, name) => n + (sizes.get(name) ?? 0), 0);
  const limiter = new Limiter(options.concurrency ?? 4);
  for (let g = 0; g <= GROUPS.length; g++) {
    const group = names.filter((n) => groupOf(n) === g).sort();
    // A device's version batches land in number order (reads overlap): a sync stopped at any
    // moment leaves no gap that a later batch names, which readers take for a lost batch.
    const previous = new Map<string, Promise<void>>();
    await Promise.all(group.map((name) => {
      const device = parseBatchName(name)?.device;
      const after = device === undefined ? undefined : previous.get(device);
      const copied = limiter.run(async () => {
        options.signal?.throwIfAborted();
        const data = await from.get(name);
        await after; // the limiter is first come, first served: the batch before holds a slot or is done
        const metadata = GROUPS[g]?.prefix !== objectNames.packPrefix;
        const tier: Tier = metadata ? 'hot' : (options.tierOf?.(name) ?? 'hot');
        await to.put(name, data, { tier });
        stats.objects++;
        stats.bytes += data.length;
        options.onProgress?.({ direction, done: stats.objects, total: names.length, bytes: stats.bytes, totalBytes, name });
      });
      if (device !== undefined) previous.set(device, copied);
      return copied;
    }));
  }
  return stats;
}

/** Makes `local` and `remote` hold the same objects (see the module comment). */
export async function syncRepositories(local: Backend, remote: Backend, options: SyncOptions = {}): Promise<SyncResult> {
  let localObjects: Map<string, ObjectInfo>;
  let remoteObjects: Map<string, ObjectInfo>;
  const localStrays: string[] = [];
  const remoteStrays: string[] = [];
  try {
    [localObjects, remoteObjects] = await Promise.all([inventory(local, (name) => localStrays.push(name)), inventory(remote, (name) => remoteStrays.push(name))]);
  } catch (error) {
    throw new EngineError('NOT_FOUND', `cannot list the repositories: ${errorMessage(error)}`, { cause: error });
  }
  const conflicts: SyncResult['conflicts'] = [];
  for (const [name, info] of localObjects) {
    const other = remoteObjects.get(name);
    if (other && other.size !== info.size) conflicts.push({ name, local: info.size, remote: other.size });
  }
  if (localObjects.has(objectNames.config) && remoteObjects.has(objectNames.config)) {
    const [a, b] = await Promise.all([local.get(objectNames.config), remote.get(objectNames.config)]);
    if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) {
      throw new EngineError('INVALID_ARGUMENT', `${remote.location} holds a different repository: use another remote, or another prefix or folder`);
    }
  }
  const sizes = new Map<string, number>();
  for (const [n, i] of [...localObjects, ...remoteObjects]) sizes.set(n, i.size);
  const toUpload = options.upload === false ? [] : [...localObjects.keys()].filter((n) => !remoteObjects.has(n));
  const toDownload = options.download === false ? [] : [...remoteObjects.keys()].filter((n) => !localObjects.has(n) && !options.skipDownload?.(n));
  options.signal?.throwIfAborted();
  const uploaded = await copy(local, remote, toUpload, sizes, 'upload', options);
  const downloaded = await copy(remote, local, toDownload, sizes, 'download', options);
  const strays = [
    ...localStrays.sort().map((name) => ({ side: 'local' as const, name })),
    ...remoteStrays.sort().map((name) => ({ side: 'remote' as const, name })),
  ];
  return { uploaded, downloaded, conflicts, strays };
}
