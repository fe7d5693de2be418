// Tier migration: carries out a report's moves on the remote, a few at a
// time. Each move is the backend's own (a storage-class change by CopyObject
// onto itself, or a copy-then-delete between two places), idempotent, so a
// run killed at any moment is finished by the next one. A pack that must be
// thawed before it can leave an archive class gets a restore request and is
// reported as waiting; a later run moves it.

import { Limiter } from '../async/limiter';
import { errorMessage } from '../errors';
import { StorageError, type Backend } from '../storage/backend';
import type { Move } from './tier-report';

export interface MigrationProgress {
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
  name: string;
}

export interface MigrationResult {
  moved: { objects: number; bytes: number };
  /** Packs whose restore was requested: they move once thawed. */
  waiting: string[];
  failed: Array<{ name: string; message: string }>;
}

export async function migrate(remote: Backend, moves: Move[], options: { concurrency?: number; onProgress?: (p: MigrationProgress) => void; signal?: AbortSignal } = {}): Promise<MigrationResult> {
  const result: MigrationResult = { moved: { objects: 0, bytes: 0 }, waiting: [], failed: [] };
  if (moves.length === 0) return result;
  if (!remote.setTier) throw new StorageError('UNAVAILABLE', `${remote.location} has a single tier: give the remote a cold URL (or an S3 cold storage class) to move data between tiers`);
  const setTier = remote.setTier.bind(remote);
  const totalBytes = moves.reduce((n, m) => n + m.bytes, 0);
  const limiter = new Limiter(options.concurrency ?? 4);
  let done = 0;
  await Promise.all(moves.map((move) => limiter.run(async () => {
    if (options.signal?.aborted) return;
    try {
      await setTier(move.name, move.to);
      result.moved.objects++;
      result.moved.bytes += move.bytes;
    } catch (error) {
      if (error instanceof StorageError && error.code === 'FROZEN' && remote.requestThaw) {
        await remote.requestThaw(move.name, 7);
        result.waiting.push(move.name);
      } else {
        result.failed.push({ name: move.name, message: errorMessage(error) });
      }
    }
    done++;
    options.onProgress?.({ done, total: moves.length, bytes: result.moved.bytes, totalBytes, name: move.name });
  })));
  return result;
}
