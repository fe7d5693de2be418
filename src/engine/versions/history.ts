// The version history as read back from the repository: every device's
// batches, folded into folders, files and their versions. Records are only
// ever appended; what is current is derived (a file's newest version, unless
// that is a deletion).

import { Limiter } from '../async/limiter';
import { errorMessage } from '../errors';
import { listNames, type Repository } from '../repo/repository';
import { BATCH_PREFIX, decodeBatch, parseBatchName, type Batch, type VersionRecord } from './records';

export interface FileHistory {
  file: string;
  folder: string;
  /** Oldest first (by version number). */
  versions: VersionRecord[];
  /** Tags by version number, from the versions themselves and from tag records. */
  tags: Map<number, string[]>;
}

export interface FolderInfo {
  id: string;
  name: string;
  removed: boolean;
}

export class History {
  private readonly fileMap = new Map<string, FileHistory>();
  private readonly folderMap = new Map<string, FolderInfo>();
  private readonly seqs = new Map<string, number>();
  /** Batches read and applied. */
  batchCount = 0;
  /** Batches that could not be read: reported, and the rest of the history is still usable. */
  readonly damaged: Array<{ name: string; message: string }> = [];

  static async load(repo: Repository): Promise<History> {
    const history = new History();
    const names = (await listNames(repo.backend, BATCH_PREFIX)).filter((n) => parseBatchName(n) !== undefined);
    const limiter = new Limiter(8);
    const batches = await Promise.all(names.map((name) => limiter.run(async () => {
      try {
        return decodeBatch(name, await repo.readObject('versions', name));
      } catch (error) {
        history.damaged.push({ name, message: errorMessage(error) });
        return undefined;
      }
    })));
    // Devices in a stable order, each device's batches in its own order.
    const ordered = batches.filter((b): b is Batch => b !== undefined).sort((a, b) => a.time.localeCompare(b.time) || a.device.localeCompare(b.device) || a.seq - b.seq);
    for (const batch of ordered) history.apply(batch);
    return history;
  }

  /** Folds one batch in (also used right after writing one). */
  apply(batch: Batch): void {
    this.batchCount++;
    this.seqs.set(batch.device, Math.max(this.seqs.get(batch.device) ?? 0, batch.seq));
    for (const record of batch.records) {
      if (record.kind === 'folder') {
        this.folderMap.set(record.folder, { id: record.folder, name: record.name, removed: record.op === 'remove' });
      } else if (record.kind === 'version') {
        let history = this.fileMap.get(record.file);
        if (!history) {
          history = { file: record.file, folder: record.folder, versions: [], tags: new Map() };
          this.fileMap.set(record.file, history);
        }
        const last = history.versions.at(-1);
        history.versions.push(record);
        // Usually appended in order; another device's batch may bring earlier numbers.
        if (last && (last.n > record.n || (last.n === record.n && last.time > record.time))) history.versions.sort((a, b) => a.n - b.n || a.time.localeCompare(b.time));
        if (record.tags.length > 0) addTags(history, record.n, record.tags);
      } else {
        const history = this.fileMap.get(record.file);
        if (history) addTags(history, record.n, [record.tag]);
      }
    }
  }

  /** The highest batch number seen from `device`. */
  lastSeq(device: string): number {
    return this.seqs.get(device) ?? 0;
  }

  folder(id: string): FolderInfo | undefined {
    return this.folderMap.get(id);
  }

  folders(): FolderInfo[] {
    return [...this.folderMap.values()];
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

  /** Live files of a folder by path: each file's newest version, unless it is a deletion. */
  current(folder: string): Map<string, VersionRecord> {
    const live = new Map<string, VersionRecord>();
    for (const f of this.filesIn(folder)) {
      const last = f.versions[f.versions.length - 1];
      if (last && last.op !== 'delete') live.set(last.path, last);
    }
    return live;
  }

  /**
   * The file at `path` in a folder: the live one, else the one deleted most
   * recently from that path (so deleted files stay reachable by their path).
   */
  fileAt(folder: string, path: string): FileHistory | undefined {
    let deleted: { history: FileHistory; time: string } | undefined;
    for (const f of this.filesIn(folder)) {
      const last = f.versions[f.versions.length - 1];
      if (!last || last.path !== path) continue;
      if (last.op !== 'delete') return f;
      if (!deleted || last.time > deleted.time) deleted = { history: f, time: last.time };
    }
    return deleted?.history;
  }
}

function addTags(history: FileHistory, n: number, tags: string[]): void {
  const list = history.tags.get(n) ?? [];
  for (const tag of tags) if (!list.includes(tag)) list.push(tag);
  history.tags.set(n, list);
}
