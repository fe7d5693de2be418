// The version history as read back from the repository: every device's
// batches, folded into folders, files and their versions. Records are only
// ever appended; what is current is derived. A file's versions form a graph:
// each names the versions it follows (`parents`), so versions two devices
// made concurrently are two heads until a version follows both (merge.ts).
// Versions are numbered from the graph alone, so every device holding the
// same batches shows the same numbers (docs/format.md 4.10, "Numbering").
// It also knows what it could not read: batches that are damaged, and
// batches known to be written but not stored (a later batch of the device
// names it as the one before, or this device's local state wrote it). Such a
// history is shown as far as it goes, and never written on top of: a version
// recorded without the lost batches would fork the history silently. Unless
// a batch records them as lost for good (`lost`, written by `strata repair
// versions`, losses.ts): then they are accepted losses, still named, no
// longer in the way; one that comes back after all is read as usual.

import { Limiter } from '../async/limiter';
import { EngineError, errorMessage } from '../errors';
import { listNames, type Repository } from '../repo/repository';
import { parseBatchName } from '../repo/format';
import { BATCH_PREFIX, batchName, decodeBatch, recordRef, type Batch, type LostBatch, type TagRecord, type VersionRecord } from './records';

/** A batch this history lacks: what self-healing would fetch again. */
export interface HistoryProblem {
  /** The batch object, `versions/<device>-<seq>`. */
  object: string;
  /** `damaged`: stored, but it does not open or validate; `missing`: written (so something says) but not stored. */
  kind: 'damaged' | 'missing';
  message: string;
}

/** A batch a batch of this history records as lost (LostBatch), and is still not here. */
export interface AcceptedLoss extends LostBatch {
  /** The batch that records it (the first, by name, if several do). */
  recordedIn: string;
  /** That batch's time. */
  time: string;
}

/** What this device wrote (its local state, state/batches.ts): its id and the last batch it stored. */
export interface OwnWrites {
  readonly device: string;
  lastWritten(): number | undefined;
}

/** A write refused because the history could not be read whole (CLI exit 5). */
export class HistoryIncompleteError extends EngineError {
  constructor(readonly problems: HistoryProblem[]) {
    const named = problems.slice(0, 5).map((p) => `${p.object} (${p.kind})`).join(', ');
    const more = problems.length > 5 ? ` and ${problems.length - 5} more` : '';
    super('DAMAGED', `the version history could not be read whole: ${named}${more}. Nothing was recorded, so that history does not fork; `
      + 'bring the batches back (`strata sync` with a remote that has them, after moving a damaged one aside), then try again; '
      + 'if no remote has them any more, `strata repair versions` records them as lost');
    this.name = 'HistoryIncompleteError';
  }
}

export interface FileHistory {
  file: string;
  folder: string;
  /** By version number: oldest first, every version after the versions it follows. */
  versions: VersionRecord[];
  /** Tags by version number, from the versions themselves and from tag records. */
  tags: Map<number, string[]>;
  /** Versions no other version follows, by number: one, unless devices changed the file concurrently. */
  heads: VersionRecord[];
  /** The versions each version follows (those whose batches are here). */
  parents: Map<VersionRecord, VersionRecord[]>;
  /** Versions naming a parent that is not here (its batch not synced yet, or damaged): they may still come. */
  incomplete: Set<VersionRecord>;
  /**
   * Versions naming a parent in a batch recorded as lost (and not here): it
   * will not come. Like incomplete ones, their text cannot be rebuilt; unlike
   * them, nothing waits for it.
   */
  afterLoss: Set<VersionRecord>;
}

export interface FolderInfo {
  id: string;
  name: string;
  removed: boolean;
}

/**
 * Which versions this machine's folders hold (kept in local state, state/settled.ts): all of
 * this device's own, other devices' up to the batches applied here, except
 * files held back at an older version.
 */
export interface DiskView {
  device: string;
  /** Highest batch number applied to the folders here, by device; undefined: every batch. */
  applied?: Record<string, number>;
  /** Files whose place on disk lags: the version it holds (a recordRef), or null for none. */
  holding?: Record<string, string | null>;
}

/** Where a record was read: its batch, its index there, and its number as stored. */
interface Place {
  device: string;
  seq: number;
  index: number;
  stored: number;
}

export class History {
  private readonly fileMap = new Map<string, FileHistory>();
  private readonly folderMap = new Map<string, FolderInfo & { key: string }>();
  private readonly seqs = new Map<string, number>();
  private readonly places = new Map<VersionRecord, Place>();
  private readonly byRef = new Map<string, VersionRecord>();
  private readonly tagRecords = new Map<string, TagRecord[]>();
  /** The batch each tag record came in (for filesChangedSince). */
  private readonly tagPlaces = new Map<TagRecord, { device: string; seq: number }>();
  /** Batches applied. */
  private readonly names = new Set<string>();
  /** Batches stored but unreadable, with why (read again on refresh: a good copy may have replaced one). */
  private readonly unreadable = new Map<string, string>();
  /** By batch: its device and the batch that device wrote before it, from batches that say (`prev`). */
  private readonly prevs = new Map<string, { device: string; prev: number }>();
  /** Batches recorded as lost (`lost`), by name: known never to come, whether here or not. */
  private readonly recordedLost = new Map<string, AcceptedLoss>();
  /** Batches read and applied. */
  batchCount = 0;

  /** Batches that could not be read: reported, and the rest of the history is still usable. */
  get damaged(): Array<{ name: string; message: string }> {
    return [...this.unreadable].map(([name, message]) => ({ name, message }));
  }

  static async load(repo: Repository): Promise<History> {
    const history = new History();
    await history.refresh(repo);
    return history;
  }

  /**
   * Reads batches that arrived since this history was loaded (a sync), and
   * those unreadable before (one may have been replaced); returns how many
   * were applied.
   */
  async refresh(repo: Repository): Promise<number> {
    const listed = new Set((await listNames(repo.backend, BATCH_PREFIX, repo.strays.report)).filter((n) => parseBatchName(n) !== undefined));
    for (const name of this.unreadable.keys()) if (!listed.has(name)) this.unreadable.delete(name);
    const names = [...listed].filter((n) => !this.names.has(n));
    const limiter = new Limiter(8);
    const batches = await Promise.all(names.map((name) => limiter.run(async () => {
      try {
        const batch = decodeBatch(name, await repo.readObject('versions', name));
        this.unreadable.delete(name);
        return batch;
      } catch (error) {
        this.unreadable.set(name, errorMessage(error));
        return undefined;
      }
    })));
    const ordered = batches.filter((b): b is Batch => b !== undefined).sort((a, b) => compareCodeUnits(a.time, b.time) || compareCodeUnits(a.device, b.device) || a.seq - b.seq);
    const touched = new Set<FileHistory>();
    for (const batch of ordered) for (const f of this.add(batch)) touched.add(f);
    for (const f of touched) this.derive(f);
    return ordered.length;
  }

  /** Folds one batch in (also used right after writing one). */
  apply(batch: Batch): void {
    for (const f of this.add(batch)) this.derive(f);
  }

  private add(batch: Batch): Set<FileHistory> {
    const touched = new Set<FileHistory>();
    const name = batchName(batch.device, batch.seq);
    if (this.names.has(name)) return touched;
    this.names.add(name);
    this.batchCount++;
    if (batch.prev !== undefined) this.prevs.set(name, { device: batch.device, prev: batch.prev });
    for (const l of batch.lost ?? []) {
      const known = this.recordedLost.get(l.batch);
      if (known && compareCodeUnits(known.recordedIn, name) < 0) continue; // the same record on every device, whatever the order read
      this.recordedLost.set(l.batch, { batch: l.batch, reason: l.reason, ...(l.detail !== undefined ? { detail: l.detail } : {}), recordedIn: name, time: batch.time });
    }
    // Versions following a record of a lost batch stop waiting for it: every file is derived again.
    if (batch.lost) for (const f of this.fileMap.values()) touched.add(f);
    this.seqs.set(batch.device, Math.max(this.seqs.get(batch.device) ?? 0, batch.seq));
    batch.records.forEach((record, index) => {
      if (record.kind === 'folder') {
        // The newest folder record wins, whatever order batches arrive in.
        const key = `${record.time} ${batch.device} ${String(batch.seq).padStart(10, '0')} ${String(index).padStart(7, '0')}`;
        const known = this.folderMap.get(record.folder);
        if (!known || known.key < key) this.folderMap.set(record.folder, { id: record.folder, name: record.name, removed: record.op === 'remove', key });
      } else if (record.kind === 'version') {
        let history = this.fileMap.get(record.file);
        if (!history) {
          history = { file: record.file, folder: record.folder, versions: [], tags: new Map(), heads: [], parents: new Map(), incomplete: new Set(), afterLoss: new Set() };
          this.fileMap.set(record.file, history);
        }
        history.versions.push(record);
        this.places.set(record, { device: batch.device, seq: batch.seq, index, stored: record.n });
        this.byRef.set(recordRef(batch.device, batch.seq, index), record);
        touched.add(history);
      } else {
        const list = this.tagRecords.get(record.file) ?? [];
        list.push(record);
        this.tagPlaces.set(record, { device: batch.device, seq: batch.seq });
        this.tagRecords.set(record.file, list);
        const history = this.fileMap.get(record.file);
        if (history) touched.add(history);
      }
    });
    return touched;
  }

  /**
   * Derives a file's graph, numbers, heads and tags from its records. Records
   * without `parents` (written before they existed) follow the versions
   * stored with the next lower number. Numbers: by depth in the graph (a
   * version is one deeper than its deepest parent), then time, device, batch
   * and place in the batch: every device holding the same records agrees.
   */
  private derive(file: FileHistory): void {
    const records = file.versions;
    const place = (r: VersionRecord): Place => this.places.get(r) as Place;
    const byStored = new Map<number, VersionRecord[]>();
    for (const r of records) {
      const list = byStored.get(place(r).stored);
      if (list) list.push(r);
      else byStored.set(place(r).stored, [r]);
    }
    const storedNumbers = [...byStored.keys()].sort((a, b) => a - b);
    const below = new Map(storedNumbers.map((n, i) => [n, storedNumbers[i - 1]]));
    file.parents = new Map();
    file.incomplete = new Set();
    file.afterLoss = new Set();
    for (const r of records) {
      if (r.parents === undefined) {
        const previous = below.get(place(r).stored);
        file.parents.set(r, previous === undefined ? [] : (byStored.get(previous) as VersionRecord[]));
        continue;
      }
      const found: VersionRecord[] = [];
      for (const ref of r.parents) {
        const p = this.byRef.get(ref);
        if (p && p.file === file.file && p !== r) found.push(p);
        else if (!p && this.isLost(`${BATCH_PREFIX}${ref.slice(0, ref.lastIndexOf(':'))}`)) file.afterLoss.add(r);
        else file.incomplete.add(r);
      }
      file.parents.set(r, found);
    }
    // Depths, iteratively (histories can be long); a cycle (only a hostile batch makes one) is cut and marked.
    const depth = new Map<VersionRecord, number>();
    const visiting = new Set<VersionRecord>();
    for (const start of records) {
      const stack: VersionRecord[] = [start];
      while (stack.length > 0) {
        const r = stack[stack.length - 1] as VersionRecord;
        if (depth.has(r)) {
          stack.pop();
          continue;
        }
        visiting.add(r);
        const parents = file.parents.get(r) ?? [];
        const pending = parents.filter((p) => !depth.has(p));
        const cyclic = pending.filter((p) => visiting.has(p));
        if (cyclic.length > 0) {
          file.parents.set(r, parents.filter((p) => !cyclic.includes(p)));
          file.incomplete.add(r);
          continue;
        }
        if (pending.length > 0) {
          stack.push(...pending);
          continue;
        }
        depth.set(r, 1 + Math.max(0, ...parents.map((p) => depth.get(p) as number)));
        visiting.delete(r);
        stack.pop();
      }
    }
    records.sort((a, b) => {
      const pa = place(a);
      const pb = place(b);
      return (depth.get(a) as number) - (depth.get(b) as number) || compareCodeUnits(a.time, b.time) || compareCodeUnits(pa.device, pb.device) || pa.seq - pb.seq || pa.index - pb.index;
    });
    records.forEach((r, i) => {
      r.n = i + 1;
    });
    const followed = new Set<VersionRecord>();
    for (const list of file.parents.values()) for (const p of list) followed.add(p);
    file.heads = records.filter((r) => !followed.has(r));
    file.tags = new Map();
    for (const r of records) if (r.tags.length > 0) addTags(file, r.n, r.tags);
    for (const t of this.tagRecords.get(file.file) ?? []) {
      const byVersion = t.version !== undefined ? this.byRef.get(t.version) : undefined;
      const target = byVersion?.file === file.file ? byVersion : records.find((r) => place(r).stored === t.n);
      if (target) addTags(file, target.n, [t.tag]);
    }
  }

  /**
   * The batches this history lacks, by name: damaged ones, and missing ones
   * that a later batch of their device names as the one before it (`prev`)
   * or, with `own`, this device's last written batch. Numbers no batch names
   * were reserved and never written: not a problem. Batches written before
   * `prev` existed name none, so a gap among them goes unseen. Batches
   * recorded as lost are not problems any more (losses() names them).
   */
  problems(own?: OwnWrites): HistoryProblem[] {
    const found = new Map<string, HistoryProblem>();
    for (const [object, message] of this.unreadable) found.set(object, { object, kind: 'damaged', message });
    const missing = (object: string, why: string): void => {
      if (!this.names.has(object) && !found.has(object)) found.set(object, { object, kind: 'missing', message: `missing (${why})` });
    };
    for (const [name, { device, prev }] of this.prevs) if (prev > 0) missing(batchName(device, prev), `the batch after it, ${name}, names it`);
    const written = own?.lastWritten();
    if (own && written) missing(batchName(own.device, written), 'this device wrote it, as its local state says');
    return [...found.values()].filter((p) => !this.recordedLost.has(p.object)).sort((a, b) => compareCodeUnits(a.object, b.object));
  }

  /**
   * The batches recorded as lost (`lost`) that are still not read: accepted
   * losses, named (check, log) but in no one's way. One that came back
   * whole is read as usual and is not among them.
   */
  losses(): AcceptedLoss[] {
    return [...this.recordedLost.values()].filter((l) => this.isLost(l.batch)).sort((a, b) => compareCodeUnits(a.batch, b.batch));
  }

  /** Whether `batch` is recorded as lost and not read. */
  private isLost(batch: string): boolean {
    return this.recordedLost.has(batch) && !this.names.has(batch);
  }

  /**
   * Refuses (HistoryIncompleteError) to let anything be written on top of a
   * history that could not be read whole: a scan would record files of a
   * lost batch again as new, or miss a deletion, and the fork would spread
   * by sync. Every writer calls this first (scanner.ts); the batch that
   * records losses (`recording`, losses.ts) is the one write they allow.
   */
  assertWritable(own: OwnWrites, recording: readonly LostBatch[] = []): void {
    const problems = this.problems(own).filter((p) => !recording.some((l) => l.batch === p.object)); // the batch that records them as lost may be written
    if (problems.length > 0) throw new HistoryIncompleteError(problems);
  }

  /** What a new batch `seq` of this device names as the one before it (Batch.prev). */
  prevOf(own: OwnWrites, seq: number): number {
    return Math.min(seq - 1, Math.max(own.lastWritten() ?? 0, this.lastSeq(own.device)));
  }

  /** The name of a version read from (or written to) the repository. */
  refOf(record: VersionRecord): string {
    const p = this.places.get(record);
    if (!p) throw new Error(`version ${record.path}@${record.n} is not part of this history`);
    return recordRef(p.device, p.seq, p.index);
  }

  /** The highest batch number seen from `device`. */
  lastSeq(device: string): number {
    return this.seqs.get(device) ?? 0;
  }

  /**
   * Files with records (versions or tags) in batches above `cursor` (the
   * highest batch number taken in, by device; a device not named: none).
   */
  filesChangedSince(cursor: Record<string, number>): Set<string> {
    const files = new Set<string>();
    const isNew = (p: { device: string; seq: number }): boolean => p.seq > (cursor[p.device] ?? 0);
    for (const [record, place] of this.places) if (isNew(place)) files.add(record.file);
    for (const [record, place] of this.tagPlaces) if (isNew(place) && this.fileMap.has(record.file)) files.add(record.file);
    return files;
  }

  /** Highest batch number of every device seen. */
  lastSeqs(): Record<string, number> {
    return Object.fromEntries(this.seqs);
  }

  /** Whether this machine's folders hold `record` (see DiskView); every record without a view. */
  reflects(record: VersionRecord, view?: DiskView): boolean {
    if (!view?.applied || record.device === view.device) return true;
    const p = this.places.get(record);
    return p !== undefined && p.seq <= (view.applied[p.device] ?? 0);
  }

  /** The heads of a file among the versions a view holds (all heads without one), by number. */
  headsIn(file: FileHistory, view?: DiskView): VersionRecord[] {
    const held = view?.holding?.[file.file];
    if (held === null) return [];
    if (held !== undefined) {
      const record = this.byRef.get(held);
      if (record?.file === file.file) return [record];
    }
    if (!view?.applied) return file.heads;
    const visible = file.versions.filter((r) => this.reflects(r, view));
    const followed = new Set<VersionRecord>();
    for (const r of visible) for (const p of file.parents.get(r) ?? []) followed.add(p);
    return visible.filter((r) => !followed.has(r));
  }

  /**
   * The version of a file a view's disk holds: among its heads (those that
   * are not deletions, if any: an edit wins over a concurrent deletion),
   * this device's newest, else the newest (the one reconciling puts on
   * disk). Without a view: the newest such head.
   */
  headOf(file: FileHistory, view?: DiskView): VersionRecord | undefined {
    const heads = this.headsIn(file, view);
    const live = heads.filter((h) => h.op !== 'delete');
    const pool = live.length > 0 ? live : heads;
    return (view ? pool.filter((h) => h.device === view.device).at(-1) : undefined) ?? pool.at(-1);
  }

  folder(id: string): FolderInfo | undefined {
    const f = this.folderMap.get(id);
    return f ? { id: f.id, name: f.name, removed: f.removed } : undefined;
  }

  folders(): FolderInfo[] {
    return [...this.folderMap.values()].map((f) => ({ id: f.id, name: f.name, removed: f.removed }));
  }

  file(id: string): FileHistory | undefined {
    return this.fileMap.get(id);
  }

  /** Every file of every folder. */
  allFiles(): FileHistory[] {
    return [...this.fileMap.values()];
  }

  /** Every file ever seen in a folder. */
  filesIn(folder: string): FileHistory[] {
    return [...this.fileMap.values()].filter((f) => f.folder === folder);
  }

  /** Live files of a folder by path: each file's head (see headOf), unless it is a deletion. */
  current(folder: string, view?: DiskView): Map<string, VersionRecord> {
    const live = new Map<string, VersionRecord>();
    for (const f of this.filesIn(folder)) {
      const head = this.headOf(f, view);
      if (!head || head.op === 'delete') continue;
      // Two files at one path (added on two devices): this device's keeps it.
      const there = live.get(head.path);
      if (there && view && there.device === view.device && head.device !== view.device) continue;
      live.set(head.path, head);
    }
    return live;
  }

  /**
   * The file at `path` in a folder: the live one, else the one deleted most
   * recently from that path (so deleted files stay reachable by their path).
   */
  fileAt(folder: string, path: string, view?: DiskView): FileHistory | undefined {
    const live = this.current(folder, view).get(path);
    if (live) return this.fileMap.get(live.file);
    let deleted: { history: FileHistory; time: string } | undefined;
    for (const f of this.filesIn(folder)) {
      const head = this.headOf(f, view) ?? f.heads.at(-1);
      if (!head || head.path !== path) continue;
      if (!deleted || head.time > deleted.time) deleted = { history: f, time: head.time };
    }
    return deleted?.history;
  }
}

function addTags(history: FileHistory, n: number, tags: string[]): void {
  const list = history.tags.get(n) ?? [];
  for (const tag of tags) if (!list.includes(tag)) list.push(tag);
  history.tags.set(n, list);
}

/**
 * Orders strings by UTF-16 code units, as format.md 4.10 specifies for times
 * and device ids: numbering must be the same on every device, and
 * localeCompare depends on the machine's locale.
 */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
