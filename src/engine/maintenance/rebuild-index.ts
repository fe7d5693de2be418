// `repair index`: rebuilds the index from the packs' own trailers, for when
// index objects are lost or damaged. New index objects are written before the
// old ones are deleted, so an interruption never leaves less than before.

import { errorMessage } from '../errors';
import { idOfName, objectNames } from '../repo/format';
import type { PackEntries } from '../repo/index-file';
import { parseTrailer, TRAILER_READ_GUESS } from '../repo/pack';
import { listObjects } from '../repo/listing';
import { listNames, type Repository } from '../repo/repository';

export interface RebuildResult {
  packs: number;
  blobs: number;
  /** Packs whose trailer could not be read; their blobs stay unindexed. */
  damaged: Array<{ pack: string; message: string }>;
  removedIndexes: number;
}

const PACKS_PER_INDEX = 2000;

export async function rebuildIndex(repo: Repository, onProgress?: (done: number, total: number) => void): Promise<RebuildResult> {
  // Only objects: a stray file (a `.DS_Store` in data/) is neither read as a pack nor deleted as an index.
  const oldIndexes = await listNames(repo.backend, objectNames.indexPrefix, repo.strays.report);
  const packs = (await listObjects(repo.backend, 'pack', repo.strays.report)).map((info) => ({ id: idOfName(info.name), size: info.size }));
  const damaged: RebuildResult['damaged'] = [];
  let batch: PackEntries[] = [];
  let blobs = 0;
  let done = 0;
  for (const { id, size } of packs) {
    onProgress?.(done++, packs.length);
    const name = objectNames.pack(id);
    try {
      let length = Math.min(size, TRAILER_READ_GUESS);
      let tail = await repo.backend.getRange(name, size - length, length);
      let entries;
      try {
        entries = parseTrailer(repo.keys.encryption, name, size, tail);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        length = size;
        tail = await repo.backend.getRange(name, 0, length);
        entries = parseTrailer(repo.keys.encryption, name, size, tail);
      }
      batch.push({ pack: id, size, entries });
      blobs += entries.length;
    } catch (error) {
      damaged.push({ pack: name, message: errorMessage(error) });
    }
    if (batch.length >= PACKS_PER_INDEX) {
      await repo.writeIndex(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await repo.writeIndex(batch);
  for (const name of oldIndexes) await repo.backend.delete(name);
  onProgress?.(done, packs.length);
  return { packs: packs.length - damaged.length, blobs, damaged, removedIndexes: oldIndexes.length };
}
