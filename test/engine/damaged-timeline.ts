// A course history whose middle version of one file is damaged: shared by the
// engine and CLI tests of restoring versions over damaged data (issue 10,
// point 3).

import { rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex } from '../../src/engine/repo/format';
import { Repository } from '../../src/engine/repo/repository';
import { LocalBackend } from '../../src/engine/storage/local';
import type { VersionRecord } from '../../src/engine/versions/records';
import { addFolder, scan } from '../../src/engine/ops/folders';
import type { Session } from '../../src/engine/ops/session';
import { sessionOf } from './sessions';
import { fastKdf, seededBytes, writeSettled } from '../helpers';

const packPath = (repoDir: string, pack: string): string => join(repoDir, 'data', pack.slice(0, 2), pack);
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

/** The packs holding a binary version's chunks. */
function packsOf(repo: Repository, record: VersionRecord | undefined): Set<string> {
  const packs = new Set<string>();
  for (const chunk of record?.content ?? []) packs.add(repo.index.get(fromHex(chunk))?.pack as string);
  if (packs.size === 0) throw new Error('expected a binary version with inline chunks');
  return packs;
}

/**
 * A course where a.bin and b.bin were recorded in separate scans (so b's first
 * version has packs of its own), then `at`, then both edited and c.bin added;
 * b@1's packs then damaged as `how` says. Returns a session opened afresh (its history loaded).
 */
export async function damagedTimeline(root: string, how: 'truncated' | 'missing', pass = 'pw'): Promise<{ session: Session; repoDir: string; course: string; at: Date }> {
  const repoDir = join(root, 'repo');
  const repo = await Repository.init(await LocalBackend.create(repoDir), pass, { kdf: fastKdf() });
  const course = join(root, 'course');
  await writeSettled(join(course, 'a.bin'), seededBytes(1, 150_000));
  const session = await sessionOf(repo, repoDir);
  await addFolder(session, course);
  await scan(session, [], { settleMs: 0 });
  await writeSettled(join(course, 'b.bin'), seededBytes(2, 150_000));
  await scan(session, [], { settleMs: 0 });
  await pause();
  const at = new Date();
  await pause();
  await writeSettled(join(course, 'a.bin'), seededBytes(3, 160_000));
  await scan(session, [], { settleMs: 0 });
  await writeSettled(join(course, 'b.bin'), seededBytes(4, 170_000));
  await scan(session, [], { settleMs: 0 });
  await writeSettled(join(course, 'c.bin'), seededBytes(5, 100_000));
  await scan(session, [], { settleMs: 0 });
  await repo.ensureIndex();
  const versions = (await session.versions()).history.allFiles().flatMap((f) => f.versions);
  const b1 = versions.find((v) => v.path === 'b.bin' && v.n === 1);
  const victims = packsOf(repo, b1);
  for (const other of versions.filter((v) => v !== b1)) {
    for (const pack of packsOf(repo, other)) if (victims.has(pack)) throw new Error('b@1 shares a pack with another version');
  }
  await repo.backend.close();
  for (const pack of victims) {
    const path = packPath(repoDir, pack);
    // Cut into the blobs, not just the trailer (which reading by the index does not need).
    if (how === 'truncated') await truncate(path, Math.floor((await stat(path)).size / 3));
    else await rm(path);
  }
  const reopened = await Repository.open(new LocalBackend(repoDir), pass);
  return { session: await sessionOf(reopened, repoDir), repoDir, course, at };
}

