// The activity log: what happened in a repository (versions recorded, syncs,
// migrations, restores, rollbacks, errors), kept append-only as JSON lines
// in `activity.jsonl` in this machine's state folder of the repository
// (fs/state-home.ts: it names files, so it stays out of the repository
// folder; never synced). Each new item is also emitted as an 'activity' event.
// Ids are time-ordered, so "before an id" pages through older items.

import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ActivityItem, EventSink } from '../../shared/api';
import { machineStateDir } from '../fs/state-home';

const ACTIVITY_FILE = 'activity.jsonl';

const KINDS: ReadonlySet<ActivityItem['kind']> = new Set(['version', 'sync', 'migration', 'restore', 'rollback', 'backup', 'check', 'error']);
const MAX_TEXT = 4096;

export async function activityPath(repositoryDir: string): Promise<string> {
  return join(await machineStateDir(repositoryDir), ACTIVITY_FILE);
}

export class ActivityLog {
  /** Appends, and the first read of the file, one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  /** Every item, oldest first: read from the file at the first list, then kept up to date by add (this log is the file's only writer). */
  private items: ActivityItem[] | undefined;
  private lastMs = 0;

  /** The file (activityPath's promise may still be settling; a failure to find it fails reads, and writes quietly). */
  private readonly path: Promise<string>;

  constructor(path: string | Promise<string>, private readonly emit: EventSink, private readonly now: () => Date = () => new Date()) {
    this.path = Promise.resolve(path);
    this.path.catch(() => undefined);
  }

  /** Records an item (time and id are added) and emits it; a failure to write is not the caller's failure. */
  add(entry: Omit<ActivityItem, 'id' | 'time'>): Promise<ActivityItem> {
    const time = this.now();
    const item: ActivityItem = {
      id: this.nextId(time),
      time: time.toISOString(),
      kind: entry.kind,
      title: entry.title.slice(0, MAX_TEXT),
      ...(entry.detail !== undefined ? { detail: entry.detail.slice(0, MAX_TEXT) } : {}),
      ...(entry.course !== undefined ? { course: entry.course } : {}),
    };
    const line = `${JSON.stringify(item)}\n`;
    const written = this.queue.then(async () => {
      try {
        const path = await this.path;
        await mkdir(dirname(path), { recursive: true, mode: 0o700 }); // the state folder is private, as state-home.ts makes it
        await appendFile(path, line, { mode: 0o600 });
        this.items?.push(item);
      } catch {
        // the log is best effort: the event still goes out
      }
    });
    this.queue = written;
    this.emit('activity', item);
    return written.then(() => item);
  }

  /** Items newest first: at most `limit`, older than the item with id `before` (or than a time, if `before` is an ISO time). */
  async list(options: { before?: string; limit: number }): Promise<ActivityItem[]> {
    const loaded = this.queue.then(async () => (this.items ??= await this.readAll()));
    this.queue = loaded.then(() => undefined, () => undefined);
    const items = await loaded;
    let end = items.length;
    if (options.before !== undefined) {
      const at = items.findIndex((i) => i.id === options.before);
      if (at >= 0) end = at;
      else {
        const limit = Date.parse(options.before);
        end = Number.isNaN(limit) ? 0 : items.filter((i) => Date.parse(i.time) < limit).length;
      }
    }
    return items.slice(Math.max(0, end - options.limit), end).reverse();
  }

  /** Every readable item, oldest first (a torn last line, from a crash, is skipped). */
  private async readAll(): Promise<ActivityItem[]> {
    let text: string;
    try {
      text = await readFile(await this.path, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return [];
      throw error;
    }
    const items: ActivityItem[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const item = parseItem(JSON.parse(line));
        if (item) items.push(item);
      } catch {
        // not a whole line: skipped
      }
    }
    // Appended in order; a clock that went back is not a reason to reorder what happened.
    return items;
  }

  /** Ids sort in time order: milliseconds (base 36, fixed width; strictly increasing here), then a random part. */
  private nextId(time: Date): string {
    this.lastMs = Math.max(time.getTime(), this.lastMs + 1);
    return `${this.lastMs.toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
  }
}

function parseItem(value: unknown): ActivityItem | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.time !== 'string' || typeof v.title !== 'string' || !KINDS.has(v.kind as ActivityItem['kind'])) return undefined;
  return {
    id: v.id,
    time: v.time,
    kind: v.kind as ActivityItem['kind'],
    title: v.title,
    ...(typeof v.detail === 'string' ? { detail: v.detail } : {}),
    ...(typeof v.course === 'string' ? { course: v.course } : {}),
  };
}
