// `check`: verifies the repository's structure (every index names stored
// packs; every snapshot's trees and chunks, and every blob version records
// name, are indexed) and, with readData,
// every pack's bytes (hash, trailer, each blob's authentication and content
// id). Reports each damaged or missing object by name; never stops at the first.
// Stray files among the objects (listing.ts) are warnings, not problems;
// version batches recorded as lost (history.ts) are notes, not problems.

import { errorMessage } from '../errors';
import { NotFoundError } from '../storage/backend';
import { fileChunks } from '../files/content-list';
import { listSnapshots, loadSnapshot, loadTree } from '../snapshot/snapshots';
import { SharedBufferPool } from '../memory/shared-buffers';
import { Limiter } from '../async/limiter';
import { History, type AcceptedLoss, type OwnWrites } from '../versions/history';
import { fromHex, idOfName, objectNames, toHex } from '../repo/format';
import { listObjects } from '../repo/listing';
import { parseTrailer } from '../repo/pack';
import type { Repository } from '../repo/repository';
import { sha256Hex } from '../crypto/sha256';

export interface CheckProblem {
  /** The damaged or missing object (or blob). */
  object: string;
  message: string;
}

export interface CheckResult {
  problems: CheckProblem[];
  /** Harmless findings (e.g. packs left by an interrupted backup). */
  notes: string[];
  /** Files under the objects' prefixes that are not objects (listing.ts): ignored, warned about, not problems. */
  strays: string[];
  /** Version batches damaged or missing that a batch records as lost (`strata repair versions`): accepted, each also a note. */
  losses: AcceptedLoss[];
  packs: number;
  snapshots: number;
  /** Version-history batches read (versions/records.ts). */
  versionBatches: number;
  bytesRead: number;
}

export interface CheckOptions {
  readData?: boolean;
  /** This device's local state: its own last batch, if lost, is a problem too (nothing in the repository names it). */
  own?: OwnWrites;
  /** The version history, if the caller has it loaded already (a session's), else it is read. */
  history?: History;
  /** After each pack read with readData: packs done, total packs, the pack, its bytes. */
  onProgress?: (done: number, total: number, pack: string, bytes: number) => void;
}

export async function check(repo: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  const problems: CheckProblem[] = [];
  const notes: string[] = [];
  const problem = (object: string, message: string): void => {
    problems.push({ object, message });
  };
  await repo.loadIndex((name, error) => problem(name, `index unreadable: ${errorMessage(error)}`));

  // Files under the objects' prefixes that are not objects: named, never read, not problems.
  const strays = new Set<string>();
  const onStray = (name: string): void => {
    strays.add(name);
    repo.strays.report(name);
  };
  for (const kind of ['key', 'index', 'snapshot', 'versions'] as const) await listObjects(repo.backend, kind, onStray);

  // Packs: what the index names vs what is stored.
  const stored = new Map<string, number>();
  for (const info of await listObjects(repo.backend, 'pack', onStray)) stored.set(idOfName(info.name), info.size);
  // Every pack an index object names (even one whose blobs all have an earlier
  // copy elsewhere) must be stored with the size the index recorded.
  const indexedPacks = new Set(repo.index.packsWithSize());
  for (const pack of indexedPacks) {
    const size = stored.get(pack);
    const recorded = repo.index.packSize(pack) ?? 0;
    if (size === undefined) problem(objectNames.pack(pack), 'pack is missing (the index names it)');
    else if (size !== recorded) {
      problem(objectNames.pack(pack), `pack is ${size} bytes, the index says ${recorded} (${size < recorded ? 'truncated' : 'altered'})`);
    }
  }
  for (const pack of stored.keys()) {
    if (!indexedPacks.has(pack)) notes.push(`${objectNames.pack(pack)} is in no index (left by an interrupted backup or a lost index; \`strata repair index\` adopts it)`);
  }

  // Snapshots and the trees and chunks they reference.
  const snapshots = await listSnapshotsReporting(repo, problem);
  const seenTrees = new Set<string>();
  const missing = new Set<string>();
  const needBlob = (id: string, where: string): boolean => {
    if (repo.index.has(fromHex(id))) return true;
    if (!missing.has(id)) {
      missing.add(id);
      problem(`blob ${id}`, `referenced by ${where} but in no index`);
    }
    return false;
  };
  for (const { id: snapId, tree } of snapshots) {
    const walk = async (treeId: string, path: string): Promise<void> => {
      if (seenTrees.has(treeId)) return;
      seenTrees.add(treeId);
      if (!needBlob(treeId, `snapshot ${snapId.slice(0, 8)} at ${path || '/'}`)) return;
      let nodes;
      try {
        nodes = (await loadTree(repo, treeId)).nodes;
      } catch (error) {
        problem(`tree ${treeId}`, `snapshot ${snapId.slice(0, 8)} at ${path || '/'}: ${errorMessage(error)}`);
        return;
      }
      for (const node of nodes) {
        const nodePath = `${path}/${node.name}`;
        if (node.type === 'dir') await walk(node.subtree, nodePath);
        else if (node.type === 'file') {
          if (node.contentList && !needBlob(node.contentList, `file ${nodePath}`)) continue;
          try {
            for (const chunk of await fileChunks(repo, node)) needBlob(toHex(chunk), `file ${nodePath}`);
          } catch (error) {
            problem(`file ${nodePath}`, errorMessage(error));
          }
        }
      }
    };
    await walk(tree, '');
  }

  // Version history: every batch must open and parse, none known written may be missing
  // (a gap a later batch names: history.ts) unless recorded as lost, and every blob its records name must be indexed.
  const history = options.history ?? (await History.load(repo));
  for (const p of history.problems(options.own)) problem(p.object, p.message);
  const losses = history.losses();
  for (const l of losses) notes.push(`${l.batch} is lost (${l.reason}), accepted as lost by ${l.recordedIn} (strata repair versions): the versions it held are not in the history`);
  for (const file of history.allFiles()) {
    for (const v of file.versions) {
      const where = `version ${v.path}@${v.n}`;
      if (v.yjs?.blob) needBlob(v.yjs.blob, where);
      if (v.yjs?.checkpoint) needBlob(v.yjs.checkpoint, `checkpoint of ${where}`);
      if (v.contentList && !needBlob(v.contentList, where)) continue;
      if (!v.content && !v.contentList) continue;
      try {
        for (const chunk of await fileChunks(repo, v)) needBlob(toHex(chunk), where);
      } catch (error) {
        problem(where, errorMessage(error));
      }
    }
  }

  let bytesRead = 0;
  if (options.readData) {
    const packs = [...stored.keys()].sort();
    let done = 0;
    // Two packs at a time: one is read while the other is verified.
    const limiter = new Limiter(2);
    const buffers = new SharedBufferPool(repo.config.packSize + 8 * 1024 * 1024, 2);
    await Promise.all(packs.map((pack) => limiter.run(async () => {
      const read = await checkPackData(repo, pack, stored.get(pack) ?? 0, indexedPacks.has(pack), problem, buffers);
      bytesRead += read; // after the await: `x += await` would read x before it
      options.onProgress?.(++done, packs.length, pack, read);
    })));
  }
  return { problems, notes, strays: [...strays].sort(), losses, packs: stored.size, snapshots: snapshots.length, versionBatches: history.batchCount, bytesRead };
}

async function listSnapshotsReporting(
  repo: Repository,
  problem: (object: string, message: string) => void,
): Promise<Array<{ id: string; tree: string }>> {
  try {
    return (await listSnapshots(repo)).map((s) => ({ id: s.id, tree: s.snapshot.tree }));
  } catch {
    // One damaged snapshot: check them one by one to name it.
    const result: Array<{ id: string; tree: string }> = [];
    for (const id of await repo.snapshotIds()) {
      try {
        result.push({ id, tree: (await loadSnapshot(repo, id)).tree });
      } catch (error) {
        problem(objectNames.snapshot(id), errorMessage(error));
      }
    }
    return result;
  }
}

/** Reads a whole pack and verifies hash, trailer and every blob. Returns bytes read. */
async function checkPackData(
  repo: Repository,
  pack: string,
  size: number,
  indexed: boolean,
  problem: (object: string, message: string) => void,
  buffers: SharedBufferPool,
): Promise<number> {
  const name = objectNames.pack(pack);
  let bytes: Uint8Array;
  // Reused memory, given back once the pack is verified (not on errors: a worker may still read it).
  const buffer = buffers.take(size);
  try {
    // A range read of the whole pack: backends may hand it over in memory the blob workers share.
    bytes = await repo.backend.getRange(name, 0, size, buffer);
  } catch (error) {
    if (error instanceof NotFoundError) problem(name, 'pack disappeared during check');
    else problem(name, `cannot read: ${errorMessage(error)}`);
    return 0;
  }
  const hashMismatch = (): void => problem(name, 'content does not match its name (SHA-256 mismatch): corrupted');
  let entries;
  try {
    entries = parseTrailer(repo.keys.encryption, name, bytes.length, bytes);
  } catch (error) {
    if (sha256Hex(bytes) !== pack) hashMismatch();
    problem(name, errorMessage(error));
    return bytes.length;
  }
  let bad = 0;
  for (const entry of entries) {
    if (indexed && !repo.index.has(entry.id)) problem(name, `blob ${toHex(entry.id)} is in the pack but not in the index`);
  }
  // One blob worker decrypts, decompresses and re-hashes the whole pack.
  // The worker also hashes the whole pack, to compare with its name.
  const results = await repo.openBlobs(entries.map((entry) => ({ ...entry, pack })), bytes, 0, {
    verify: true,
    keep: false,
    onRegionHash: (sha256) => {
      if (toHex(sha256) !== pack) hashMismatch();
    },
  });
  for (const result of results) {
    if (!result.error) continue;
    bad++;
    if (bad <= 5) problem(name, result.error.message);
  }
  if (bad > 5) problem(name, `${bad - 5} more damaged blobs in this pack`);
  buffers.give(buffer);
  return bytes.length;
}
