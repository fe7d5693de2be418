// Tests' way to work on a repository they opened themselves: a Session over
// it, with the version history and this machine's state loaded at once (as a
// host's unlock does), so that what the test does to the disk or the store
// afterwards is met as a change, not as the state the session started from.

import { Session } from '../../src/engine/ops/session';
import type { Repository } from '../../src/engine/repo/repository';

export async function sessionOf(repo: Repository, dir: string): Promise<Session> {
  const session = Session.of(repo, dir);
  await session.versions();
  return session;
}
