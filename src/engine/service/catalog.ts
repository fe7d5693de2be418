// The offline catalog's feed: what changed in the history since a cursor
// (the highest batch number taken in, per device). History renumbers a
// file's versions when other devices' versions arrive (history.ts), so every
// file with a record in a new batch is sent whole: all its versions, as now
// numbered. Courses are small and always sent whole. Also the catalog's key.

import { createHmac } from 'node:crypto';
import type { CatalogChanges, CatalogCursor, FileVersion } from '../../shared/api';
import type { FileHistory } from '../versions/history';
import type { VersionRecord } from '../versions/records';
import type { AppContext } from './context';
import { listCourses } from './courses';

/** A version as the UI shows it (and the catalog stores it). */
export function toFileVersion(file: FileHistory, record: VersionRecord): FileVersion {
  return {
    key: `${file.file}@${record.n}`,
    course: file.folder,
    file: file.file,
    n: record.n,
    path: record.path,
    ...(record.from !== undefined ? { from: record.from } : {}),
    op: record.op,
    time: record.time,
    author: record.author,
    device: record.device,
    size: record.size,
    sha256: record.sha256,
    kind: record.op === 'delete' ? 'none' : record.yjs ? 'text' : 'binary',
    summary: record.summary,
    ...(record.message !== undefined ? { message: record.message } : {}),
    tags: [...(file.tags.get(record.n) ?? [])],
  };
}

export async function catalogChanges(ctx: AppContext, cursor: CatalogCursor, repository: string | undefined): Promise<CatalogChanges & { repository: string }> {
  const { id } = ctx.session;
  const { history } = await ctx.session.versions();
  // Another repository's cursor, or one ahead of this history (a repository made anew at the same place): start over.
  const otherRepository = repository !== undefined && repository !== id;
  const ahead = Object.entries(cursor).some(([device, seq]) => seq > history.lastSeq(device));
  const reset = otherRepository || ahead;
  const from = reset ? {} : cursor;
  const next = history.lastSeqs();
  const versions: FileVersion[] = [];
  for (const fileId of history.filesChangedSince(from)) {
    const file = history.file(fileId);
    if (!file) continue;
    for (const record of file.versions) versions.push(toFileVersion(file, record));
  }
  versions.sort((a, b) => a.course.localeCompare(b.course) || a.file.localeCompare(b.file) || a.n - b.n);
  return { repository: id, cursor: next, courses: await listCourses(ctx), versions, reset };
}

// The page seals its catalog (IndexedDB, readable by any later page on the same
// origin) with this key, which it gets only through the authenticated API.
// Derived, not stored: the same on every unlock, so the cached catalog stays
// useful across restarts, and gone with the master keys.
const CATALOG_KEY_LABEL = 'strata catalog key v1';

/** The offline catalog's key: HMAC-SHA256(master encryption key, label), base64. */
export function catalogKey(ctx: AppContext): { repository: string; key: string } {
  const { repo, id } = ctx.session;
  return { repository: id, key: createHmac('sha256', repo.keys.encryption).update(CATALOG_KEY_LABEL).digest('base64') };
}
