// The app's side of the repository guard (fs/repository-guard.ts): a course
// folder or restore target that is the repository (through any link), inside
// it or, for a course, holding it, is an INVALID_ARGUMENT naming the field,
// checked before any work starts. (Folder remotes are checked where both hosts
// add them, ops/remotes.ts.)

import { StrataError } from '../../shared/errors';
import { guardRestoreTarget, guardTrackedFolder, RepositoryOverlapError, StateFolderOverlapError } from '../fs/repository-guard';
import type { AppContext } from './context';
import { sentence } from './notices';

const GUARDS = { course: guardTrackedFolder, target: guardRestoreTarget } as const;

/** Refuses `path` for `use` against the unlocked repository, as INVALID_ARGUMENT on `field`. */
export async function refuseRepositoryPath(ctx: AppContext, path: string, use: keyof typeof GUARDS, field: string): Promise<void> {
  try {
    await GUARDS[use](path, ctx.session.dir);
  } catch (error) {
    if (error instanceof RepositoryOverlapError || error instanceof StateFolderOverlapError) {
      throw new StrataError('INVALID_ARGUMENT', sentence(error.message), field);
    }
    throw error;
  }
}
