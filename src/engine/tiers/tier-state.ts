// What this machine knows about its packs' tiers, kept in `tier-state.json`
// in this machine's state folder of the repository (fs/state-home.ts; never
// synced: it is this device's view):
// - reads: when each pack was last read for content, and how often lately
//   (the policy keeps data in use hot);
// - evicted: packs deleted here because a remote holds them (reads fetch
//   them back; sync does not download them again);
// - thaws: restore requests sent for archived packs, so the wait can be told.
// Written atomically. A cache of this machine's, never a reason to stop a
// command: a damaged file is moved aside, said once (the caller's notice),
// and started anew; what it forgets comes back (evicted packs are downloaded
// again by the next sync, reads are counted again).

import { printable } from '../printable';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file';
import { findMachineStateDir, machineStateDir } from '../fs/state-home';

const DAY = 86_400_000;
/** Reads older than this no longer count as "recent" (policy.frequentReads). */
export const RECENT_READS_DAYS = 90;

export interface PackReads {
  /** Epoch ms of the last read. */
  last: number;
  /** Epoch ms of reads in the last RECENT_READS_DAYS (at most one a minute is kept). */
  recent: number[];
}

export interface EvictedPack {
  size: number;
  /** The remote that held it when it was evicted. */
  remote: string;
  time: number;
}

export interface ThawRequest {
  /** Epoch ms the restore was requested. */
  requested: number;
  storageClass: string;
}

interface TierStateFile {
  format: 1;
  reads: Record<string, PackReads>;
  evicted: Record<string, EvictedPack>;
  thaws: Record<string, ThawRequest>;
}

export class TierState {
  private dirty = false;

  /** `path`: undefined while the repository has no machine state yet (made at the first save). */
  private constructor(private readonly repositoryDir: string, private path: string | undefined, private readonly state: TierStateFile) {}

  /** `notice`: told, in one line, when a damaged file was moved aside. */
  static async load(repositoryDir: string, notice: (message: string) => void = () => {}): Promise<TierState> {
    const dir = await findMachineStateDir(repositoryDir);
    const path = dir === undefined ? undefined : join(dir, TIER_STATE_FILE);
    const fresh = (): TierState => new TierState(repositoryDir, path, { format: 1, reads: {}, evicted: {}, thaws: {} });
    if (path === undefined) return fresh();
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return fresh();
      return moveAside(path, (error as Error).message, notice).then(fresh);
    }
    try {
      return new TierState(repositoryDir, path, parse(JSON.parse(text)));
    } catch (error) {
      return moveAside(path, (error as Error).message, notice).then(fresh);
    }
  }

  // ---- reads ----

  recordRead(pack: string, at = Date.now()): void {
    const entry = this.state.reads[pack] ?? { last: 0, recent: [] };
    const recent = entry.recent.filter((t) => at - t < RECENT_READS_DAYS * DAY);
    // One read of a file touches a pack many times: count at most one a minute.
    if (recent.length === 0 || at - (recent.at(-1) ?? 0) >= 60_000) recent.push(at);
    this.state.reads[pack] = { last: Math.max(entry.last, at), recent };
    this.dirty = true;
  }

  reads(pack: string): PackReads | undefined {
    return this.state.reads[pack];
  }

  // ---- evictions ----

  evicted(): Map<string, EvictedPack> {
    return new Map(Object.entries(this.state.evicted));
  }

  isEvicted(pack: string): boolean {
    return pack in this.state.evicted;
  }

  /** The record of one evicted pack (no copy of the whole table, unlike evicted()). */
  evictedPack(pack: string): EvictedPack | undefined {
    return this.state.evicted[pack];
  }

  markEvicted(pack: string, info: EvictedPack): void {
    this.state.evicted[pack] = info;
    this.dirty = true;
  }

  markFetched(pack: string): void {
    if (!(pack in this.state.evicted)) return;
    delete this.state.evicted[pack];
    this.dirty = true;
  }

  // ---- thaws ----

  thaw(pack: string): ThawRequest | undefined {
    return this.state.thaws[pack];
  }

  markThawRequested(pack: string, request: ThawRequest): void {
    this.state.thaws[pack] = request;
    this.dirty = true;
  }

  clearThaw(pack: string): void {
    if (!(pack in this.state.thaws)) return;
    delete this.state.thaws[pack];
    this.dirty = true;
  }

  /** Writes the file if anything changed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    this.path ??= join(await machineStateDir(this.repositoryDir), TIER_STATE_FILE);
    await writeFileAtomic(this.path, `${JSON.stringify(this.state)}\n`);
  }
}

const TIER_STATE_FILE = 'tier-state.json';

async function moveAside(path: string, why: string, notice: (message: string) => void): Promise<void> {
  const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const moved = await rename(path, aside).then(() => true, () => false);
  // One line, whatever the damaged file held (the reason may quote a name from it).
  const reason = printable(why.slice(0, 200));
  notice(`this machine's tier state ${path} was damaged (${reason}); ${moved ? `moved aside to ${aside} and started anew` : 'started anew'} (packs evicted here are downloaded again by the next \`strata sync\`)`);
}

const PACK = /^data\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

function parse(value: unknown): TierStateFile {
  const bad = (why: string): never => {
    throw new Error(why);
  };
  const v = value as Partial<TierStateFile> | null;
  if (typeof v !== 'object' || v === null || v.format !== 1) return bad('unknown format');
  const out: TierStateFile = { format: 1, reads: {}, evicted: {}, thaws: {} };
  for (const [name, r] of Object.entries(v.reads ?? {})) {
    if (!PACK.test(name) || typeof r?.last !== 'number' || !Array.isArray(r.recent) || !r.recent.every((t) => typeof t === 'number')) bad(`reads of ${name}`);
    out.reads[name] = { last: r.last, recent: r.recent };
  }
  for (const [name, e] of Object.entries(v.evicted ?? {})) {
    if (!PACK.test(name) || !Number.isSafeInteger(e?.size) || typeof e.remote !== 'string' || typeof e.time !== 'number') bad(`eviction of ${name}`);
    out.evicted[name] = { size: e.size, remote: e.remote, time: e.time };
  }
  for (const [name, t] of Object.entries(v.thaws ?? {})) {
    if (!PACK.test(name) || typeof t?.requested !== 'number' || typeof t.storageClass !== 'string') bad(`thaw of ${name}`);
    out.thaws[name] = { requested: t.requested, storageClass: t.storageClass };
  }
  return out;
}
