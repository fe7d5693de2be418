// The tiers of a local repository, as ops/tiers.ts (and ops/session.ts, to
// open it) use them: opening the local repository through its LocalView, and
// from there the report (where bytes are, what the policy would move),
// migration, eviction, prefetch and costs, each reading the policy file, the
// history and this machine's tier state.

import { EngineError } from '../errors';
import { backendFor, localPath, openWithLastKey } from '../repo/location';
import { Repository } from '../repo/repository';
import type { Backend } from '../storage/backend';
import { parseS3Url } from '../storage/s3';
import { openRemote, type RemoteConfig } from '../sync/remote-location';
import { History } from '../versions/history';
import { LocalState } from '../versions/local-state';
import { costReport, type CostReport } from './cost-report';
import { evict, evictionCandidates, prefetch, type EvictionResult } from './evict';
import { LocalView, type LocalViewOptions } from './local-view';
import { migrate, type MigrationProgress, type MigrationResult } from './migrate';
import { packFacts } from './pack-facts';
import { loadPolicy, type PlacementPolicy } from './policy';
import { AWS_US_EAST_1, pricesWith } from './prices';
import { tierReport, type TierReport } from './tier-report';
import { TierState } from './tier-state';

export type OpenLocalOptions = Partial<Omit<LocalViewOptions, 'tierState' | 'openRemote'>> & {
  /** Told, in one line, what was set right on the way (a damaged tier state moved aside). */
  onNotice?: (message: string) => void;
};

/** The local repository's backend as commands read it: evicted packs fetched back, reads recorded. */
async function openLocalView(location: string, options: OpenLocalOptions = {}): Promise<LocalView> {
  const dir = localPath(location);
  const { onNotice, ...viewOptions } = options;
  const tierState = await TierState.load(dir, onNotice);
  return new LocalView(backendFor(dir), {
    ...viewOptions,
    tierState,
    openRemote: async (name) => {
      const remote = (await LocalState.load(dir)).remotes.list().find((r) => r.name === name);
      if (!remote) throw new EngineError('NOT_FOUND', `data this needs was moved to remote "${name}", which is no longer configured: add it back with \`strata remote add ${name} --hot URL\``);
      return openRemote(remote);
    },
  });
}

export async function openLocalRepository(location: string, passphrase: string, options: OpenLocalOptions = {}): Promise<Repository> {
  const view = await openLocalView(location, options);
  try {
    return await openWithLastKey(localPath(location), view, passphrase);
  } catch (error) {
    await view.close();
    throw error;
  }
}

function viewOf(repo: Repository): LocalView {
  if (!(repo.backend instanceof LocalView)) throw new EngineError('INVALID_ARGUMENT', 'tiers need the local repository (opened with openLocalRepository)');
  return repo.backend;
}

/** The storage classes a remote's tiers are priced as: an S3 URL's own, else the policy's. */
function remoteClasses(remote: RemoteConfig | undefined, policy: PlacementPolicy): { hot: string; cold: string } {
  if (remote?.hot.startsWith('s3://')) {
    const hot = parseS3Url(remote.hot);
    const cold = remote.cold?.startsWith('s3://') ? parseS3Url(remote.cold) : hot;
    return { hot: hot.hotClass, cold: remote.cold && remote.cold !== remote.hot ? cold.hotClass : hot.coldClass };
  }
  return { hot: policy.hotClass, cold: policy.coldClass };
}

export class Tiers {
  private constructor(
    readonly repo: Repository,
    readonly policy: PlacementPolicy,
    readonly view: LocalView,
    private readonly history: History,
  ) {}

  /** `location`: the repository's, whose policy file is read; `history`: the version history if the caller has it loaded already (a session's), else it is read. */
  static async open(repo: Repository, location: string, history?: History): Promise<Tiers> {
    return new Tiers(repo, await loadPolicy(localPath(location)), viewOf(repo), history ?? (await History.load(repo)));
  }

  /** Throws NOT_FOUND, listing the courses, unless `course` names one. */
  assertCourse(course: string): void {
    const names = this.history.folders().map((f) => f.name);
    if (names.includes(course)) return;
    throw new EngineError('NOT_FOUND', `no course named "${course}"${names.length > 0 ? ` (courses: ${names.join(', ')})` : ' (add one with `strata add PATH`)'}`);
  }

  get tierState(): TierState {
    return this.view.tierState;
  }

  /** Where bytes are, and the moves the policy wants on `remote` (if given; it is listed). */
  async report(remote?: { name: string; backend: Backend }, now = Date.now()): Promise<TierReport> {
    const packs = await packFacts(this.repo, this.history, this.tierState, this.policy, now);
    return tierReport(packs, this.policy, this.tierState, remote);
  }

  async migrate(remote: Backend, report: TierReport, options: { onProgress?: (p: MigrationProgress) => void; signal?: AbortSignal } = {}): Promise<MigrationResult> {
    return migrate(remote, report.moves, options);
  }

  async evict(remote: { name: string; backend: Backend }, report: TierReport, options: { dryRun?: boolean } = {}): Promise<EvictionResult> {
    return evict(this.view.local, remote, evictionCandidates(report, this.tierState), this.tierState, options);
  }

  /** Brings back the evicted data of a course's current versions. */
  async prefetch(course: string, report: TierReport): Promise<{ objects: number; bytes: number }> {
    const names = [...report.placements].filter(([, p]) => p.info.courses.includes(course) && p.info.facts.current).map(([name]) => name);
    return prefetch(this.view, names, this.tierState);
  }

  cost(report: TierReport, remote: RemoteConfig | undefined, now = Date.now()): CostReport {
    return costReport(report, this.policy, pricesWith(AWS_US_EAST_1, this.policy.prices), this.tierState, remoteClasses(remote, this.policy), now);
  }
}
