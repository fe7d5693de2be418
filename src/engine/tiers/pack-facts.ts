// What the placement policy needs to know about each pack of a repository,
// derived from the version history (which course, which files, current or
// superseded and since when), the index (data or metadata), the policy file
// (course states, what counts as media) and this machine's read record.
// Packs that no version references hold `strata backup` snapshot data (or
// only duplicates): they are treated as current data of no course, so they
// stay hot.

import { BlobType, objectNames, toHex } from '../repo/format';
import type { Repository } from '../repo/repository';
import type { History } from '../versions/history';
import { versionChunks } from '../versions/content';
import { contentClass } from '../files/content-class';
import type { CourseState, PackFacts, PlacementPolicy } from './policy';
import { RECENT_READS_DAYS, type TierState } from './tier-state';

const DAY = 86_400_000;

export interface PackInfo {
  /** Object name, `data/xx/<id>`. */
  name: string;
  size: number;
  /** Course (folder) names whose files have chunks here. */
  courses: string[];
  facts: PackFacts;
}

interface Acc {
  courses: Set<string>;
  current: boolean;
  media: boolean;
  /** Epoch ms the content last changed state (see PackFacts.ageDays). */
  changed: number;
  referenced: boolean;
}

/** Facts of every pack the index names. */
export async function packFacts(repo: Repository, history: History, tierState: TierState, policy: PlacementPolicy, now = Date.now()): Promise<Map<string, PackInfo>> {
  await repo.ensureIndex();
  const metadataPacks = new Set<string>();
  for (const entry of repo.index.entries()) if (entry.type !== BlobType.data) metadataPacks.add(entry.pack);
  const acc = new Map<string, Acc>();
  const packOf = (idHex: string): string | undefined => {
    const entry = repo.index.get(Buffer.from(idHex, 'hex'));
    return entry?.pack;
  };

  // When each course last changed: current data of an archived course ages from then.
  const courseChanged = new Map<string, number>();
  for (const file of history.allFiles()) {
    for (const v of file.versions) courseChanged.set(file.folder, Math.max(courseChanged.get(file.folder) ?? 0, Date.parse(v.time)));
  }
  for (const file of history.allFiles()) {
    const course = history.folder(file.folder)?.name ?? file.folder;
    const versions = file.versions;
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i];
      if (!v || v.op === 'delete') continue;
      const next = versions[i + 1];
      const current = next === undefined;
      const changed = current ? (courseChanged.get(file.folder) ?? now) : Date.parse(next.time);
      const ids: string[] = [];
      if (v.yjs) {
        if (v.yjs.blob) ids.push(v.yjs.blob);
        if (v.yjs.checkpoint) ids.push(v.yjs.checkpoint);
      } else {
        for (const id of await versionChunks(repo, v)) ids.push(toHex(id));
      }
      const media = !v.yjs && contentClass(v.path, v.size, policy.media) === 'media';
      for (const id of ids) {
        const pack = packOf(id);
        if (pack === undefined) continue; // missing data is check's business
        let a = acc.get(pack);
        if (!a) {
          a = { courses: new Set(), current: false, media: false, changed: 0, referenced: true };
          acc.set(pack, a);
        }
        a.courses.add(course);
        a.current ||= current;
        a.media ||= media;
        a.changed = Math.max(a.changed, changed);
      }
    }
  }

  const out = new Map<string, PackInfo>();
  const packs = new Set([...repo.index.packsWithSize(), ...repo.index.packIds()]);
  for (const id of packs) {
    const name = objectNames.pack(id);
    const a = acc.get(id);
    const reads = tierState.reads(name);
    const courses = a ? [...a.courses].sort() : [];
    // A pack shared by courses is archived only when all of them are.
    const courseState: CourseState = courses.length > 0 && courses.every((c) => policy.courses[c] === 'archived') ? 'archived' : 'active';
    const facts: PackFacts = {
      kind: metadataPacks.has(id) ? 'metadata' : 'data',
      content: a && !a.media ? 'text' : 'media',
      courseState,
      current: a ? a.current : true,
      ageDays: a ? Math.max(0, (now - a.changed) / DAY) : 0,
      daysSinceRead: reads ? Math.max(0, Math.floor((now - reads.last) / DAY)) : null,
      recentReads: reads ? reads.recent.filter((t) => now - t < RECENT_READS_DAYS * DAY).length : 0,
    };
    out.set(name, { name, size: repo.index.packSize(id) ?? 0, courses, facts });
  }
  return out;
}
