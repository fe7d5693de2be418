// ops/remotes.ts and ops/tiers.ts as hosts call them: remotes added (checked
// before anything is made or kept), listed and forgotten at a location (no
// passphrase) or through an unlocked session (whose state sees the change at
// once); one sync without the passphrase, which says when other devices'
// versions are left to settle; a clone that checks the remote before asking
// for the passphrase and continues a clone begun earlier; and the policy and
// course states.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors';
import { RepositoryOverlapError } from '../../src/engine/fs/repository-guard';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { addRemote, clone, folderRemote, listRemotes, pickRemote, reachRemote, removeRemote, syncOnce, type RemoteConfig } from '../../src/engine/ops/remotes';
import { initRepository, openSession } from '../../src/engine/ops/repository';
import type { Session } from '../../src/engine/ops/session';
import { settle } from '../../src/engine/ops/settle';
import { initPolicy, policyOf, policyText, setCourseState, setPolicy, tierCost, tierReport } from '../../src/engine/ops/tiers';
import { fastKdf, tempDirPerTest, writeSettled } from '../helpers';

const PASS = 'ops remotes passphrase';
const dir = tempDirPerTest('strata-ops-remotes-');

async function repository(name = 'repo'): Promise<string> {
  const location = join(dir.path, name);
  await initRepository(location, PASS, { kdf: fastKdf() });
  return location;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  return error instanceof EngineError ? error.code : `not an EngineError: ${String(error)}`;
}

/** Tracks `course` through `s`, holding one settled file, and records it. */
async function trackScanned(s: Session, course: string, file: string, text: string): Promise<void> {
  await writeSettled(join(course, file), text);
  await addFolder(s, course);
  await scan(s);
}

/** Records a new version of `file` in the repository at `repo` (its only course). */
async function recordEdit(repo: string, file: string, text: string): Promise<void> {
  await writeSettled(file, text);
  const s = await openSession(repo, PASS);
  try {
    await scan(s);
  } finally {
    await s.close();
  }
}

describe('remotes', () => {
  it('picks the remote named, else the only one, and says why it cannot', async () => {
    const a: RemoteConfig = { name: 'a', hot: 'file:///a' };
    const b: RemoteConfig = { name: 'b', hot: 'file:///b' };
    expect(() => pickRemote([], undefined)).toThrow(/no remote yet/);
    expect(pickRemote([a], undefined)).toBe(a);
    expect(() => pickRemote([a, b], undefined)).toThrow(/several remotes \(a, b\): name the one to use/);
    expect(pickRemote([a, b], 'b')).toBe(b);
    expect(() => pickRemote([a, b], 'c')).toThrow(/no remote named "c"/);
    for (const [remotes, name, code] of [[[], undefined, 'INVALID_ARGUMENT'], [[a, b], undefined, 'INVALID_ARGUMENT'], [[a], 'c', 'NOT_FOUND']] as const) {
      expect(await codeOf(Promise.resolve().then(() => pickRemote([...remotes], name)))).toBe(code);
    }
  });

  it('adds at a location once checked, reaching it last; lists and forgets it', async () => {
    const repo = await repository();
    const reached: string[] = [];
    const reach = async (r: RemoteConfig): Promise<void> => {
      reached.push(r.name);
      await reachRemote(r);
    };
    expect(await codeOf(addRemote(repo, { name: 'bad name!', hot: join(dir.path, 'r') }, { reach }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(addRemote(repo, { name: 'web', hot: 'https://example.com/x' }, { reach }))).toBe('INVALID_ARGUMENT');
    // A folder remote inside the repository would copy the repository into itself: refused before it is made.
    const inside = addRemote(repo, { name: 'inside', hot: join(repo, 'remote') }, { reach });
    await expect(inside).rejects.toBeInstanceOf(RepositoryOverlapError);
    expect(existsSync(join(repo, 'remote'))).toBe(false);
    expect(reached).toEqual([]);

    const disk = folderRemote('disk', join(dir.path, 'disk'));
    const added = await addRemote(repo, disk, { reach });
    expect(added).toEqual({ name: 'disk', hot: `file://${join(dir.path, 'disk', 'hot')}`, cold: `file://${join(dir.path, 'disk', 'cold')}` });
    expect(reached).toEqual(['disk']);
    expect(existsSync(join(dir.path, 'disk', 'hot'))).toBe(true); // reaching a folder remote makes it
    expect(await codeOf(addRemote(repo, { name: 'disk', hot: join(dir.path, 'other') }))).toBe('INVALID_ARGUMENT');
    expect(await listRemotes(repo)).toEqual([added]);

    expect(await codeOf(removeRemote(repo, 'nope'))).toBe('NOT_FOUND');
    await removeRemote(repo, 'disk');
    expect(await listRemotes(repo)).toEqual([]);
    expect(existsSync(join(dir.path, 'disk', 'hot'))).toBe(true); // nothing deleted there
  });

  it('through a session: its loaded state sees the change at once', async () => {
    const repo = await repository();
    const s = await openSession(repo, PASS);
    try {
      const { state } = await s.versions();
      await addRemote(s, { name: 'disk', hot: join(dir.path, 'disk') });
      expect(state.remotes.list().map((r) => r.name)).toEqual(['disk']);
      expect((await listRemotes(repo)).map((r) => r.name)).toEqual(['disk']); // and it is kept
      await removeRemote(s, 'disk');
      expect(state.remotes.list()).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('sync and clone', () => {
  it('syncs at a location without the passphrase, saying when other devices\' versions are left to settle; a clone checks the remote first and continues one begun earlier', async () => {
    const repo = await repository('A');
    const course = join(dir.path, 'course');
    const s = await openSession(repo, PASS);
    try {
      await trackScanned(s, course, 'notes.md', '# Notes\n');
    } finally {
      await s.close();
    }
    const folder = join(dir.path, 'usb disk'); // a space: the folder is told from its URL, not a URL's encoded path
    await addRemote(repo, folderRemote('disk', folder));
    await mkdir(join(folder, 'hot', 'data'), { recursive: true });
    await writeFile(join(folder, 'hot', 'data', '.DS_Store'), 'x');

    const synced = await syncOnce(repo, undefined, { upload: true, download: true });
    expect(synced.remote.name).toBe('disk');
    expect(synced.uploaded.objects).toBeGreaterThan(3);
    expect(synced.strays).toEqual([{ side: 'remote', name: 'data/.DS_Store' }]);
    expect(synced.remoteLocation).toContain(join(folder, 'hot'));
    expect(synced.unsettled).toBe(false); // nothing from other devices
    expect((await syncOnce(repo, 'disk')).uploaded.objects).toBe(0);
    // Through an unlocked session: its plain store under the LocalView, the same objects.
    const unlocked = await openSession(repo, PASS);
    try {
      const again = await syncOnce(unlocked, undefined);
      expect([again.uploaded.objects, again.downloaded.objects, again.unsettled]).toEqual([0, 0, false]);
    } finally {
      await unlocked.close();
    }
    expect(await codeOf(syncOnce(repo, 'nope'))).toBe('NOT_FOUND');

    // A wrong URL is NO_REPOSITORY before any passphrase is asked for.
    let asked = 0;
    const passphrase = async (): Promise<string> => {
      asked++;
      return PASS;
    };
    expect(await codeOf(clone(join(dir.path, 'nowhere'), join(dir.path, 'B'), passphrase))).toBe('NO_REPOSITORY');
    expect(asked).toBe(0);
    // A wrong passphrase leaves nothing behind.
    await expect(clone(folder, join(dir.path, 'B'), 'not it')).rejects.toThrow();
    expect(existsSync(join(dir.path, 'B'))).toBe(false);

    // The folder made by a folder remote is cloned through its hot and cold parts.
    const cloned = await clone(folder, join(dir.path, 'B'), passphrase, { name: 'usb' });
    expect(asked).toBe(1);
    expect(cloned).toMatchObject({ repository: join(dir.path, 'B'), continued: false, recorded: false });
    expect(cloned.remote).toEqual({ name: 'usb', hot: `file://${join(folder, 'hot')}`, cold: `file://${join(folder, 'cold')}` });
    expect(cloned.sync.downloaded.objects).toBe(synced.uploaded.objects);
    expect(await listRemotes(join(dir.path, 'B'))).toEqual([cloned.remote]);

    // Cloned again into the same place: continued, the remote kept; another repository there is refused.
    const again = await clone(folder, join(dir.path, 'B'), passphrase, { name: 'usb' });
    expect(again).toMatchObject({ continued: true, recorded: true });
    expect(again.sync.downloaded.objects).toBe(0);
    expect(await codeOf(clone(join(folder, 'hot'), join(dir.path, 'B'), passphrase, { name: 'usb', cold: join(dir.path, 'elsewhere') }))).toBe('REPO_EXISTS');
    const other = await repository('C');
    expect(await codeOf(clone(folder, other, passphrase))).toBe('REPO_EXISTS');

    // The clone tracks the course too; a sync that brings A's next version says it is left to settle (which needs the passphrase).
    const B = join(dir.path, 'B');
    const courseB = join(dir.path, 'on B', 'course'); // adopted by its name
    const b = await openSession(B, PASS);
    try {
      await trackScanned(b, courseB, 'notes.md', '# Notes\n');
    } finally {
      await b.close();
    }
    await recordEdit(repo, join(course, 'notes.md'), '# Notes\nfrom A\n');
    expect((await syncOnce(repo, 'disk')).unsettled).toBe(false); // A's own versions
    const brought = await syncOnce(B, undefined);
    expect(brought.downloaded.objects).toBeGreaterThan(0);
    expect(brought.unsettled).toBe(true);
    expect((await syncOnce(B, 'usb')).unsettled).toBe(true); // until settled
    const settling = await openSession(B, PASS);
    try {
      expect((await settle(settling)).written).toEqual(['course/notes.md']);
      expect((await syncOnce(settling, undefined)).unsettled).toBe(false);
    } finally {
      await settling.close();
    }
    expect(await readFile(join(courseB, 'notes.md'), 'utf8')).toBe('# Notes\nfrom A\n');
  });
});

describe('tiers', () => {
  it('the policy file: shown, written once with the defaults, replaced; a session takes its media at once', async () => {
    const repo = await repository();
    const before = await policyOf(repo);
    expect(before.exists).toBe(false);
    expect(JSON.parse(await policyText(repo))).toEqual(before.policy);
    expect(await initPolicy(repo)).toBe(before.file);
    expect((await policyOf(repo)).exists).toBe(true);
    expect(await codeOf(initPolicy(repo))).toBe('INVALID_ARGUMENT');
    // A policy refused (a setting, or the JSON) leaves the file as it was.
    const written = await readFile(before.file, 'utf8');
    await expect(setPolicy(repo, '{"archivedColdAfterDays": -1}')).rejects.toThrow(/^policy: "archivedColdAfterDays" must be/);
    await expect(setPolicy(repo, '{')).rejects.toThrow(/^policy is not valid JSON/);
    expect(await codeOf(setPolicy(repo, '{"bogus": 1}'))).toBe('INVALID_ARGUMENT');
    expect(await readFile(before.file, 'utf8')).toBe(written);

    const s = await openSession(repo, PASS);
    try {
      expect(await s.media()).toBeUndefined(); // the policy file as it was: no media setting
      await setPolicy(s, '{"media": {"extensions": ["xyz"]}}');
      expect(await s.media()).toEqual({ extensions: ['xyz'] });
      expect(JSON.parse(await readFile(before.file, 'utf8'))).toEqual({ ...before.policy, media: { extensions: ['xyz'] } }); // the defaults filled in
    } finally {
      await s.close();
    }
  });

  it('course states: an unknown course is NOT_FOUND; the policy file is written only when the state changes', async () => {
    const repo = await repository();
    const s = await openSession(repo, PASS);
    try {
      await trackScanned(s, join(dir.path, 'physics'), 'a.md', 'a\n');
      const { file } = await policyOf(repo);
      expect(await codeOf(setCourseState(s, 'nope', 'archived'))).toBe('NOT_FOUND');
      expect(await setCourseState(s, 'physics', 'active')).toEqual({ changed: false, fetched: { objects: 0, bytes: 0 } });
      expect(existsSync(file)).toBe(false);
      expect((await setCourseState(s, 'physics', 'archived')).changed).toBe(true);
      expect((await policyOf(repo)).policy.courses).toEqual({ physics: 'archived' });
      await rm(file);
      expect((await setCourseState(s, 'physics', 'archived')).changed).toBe(true); // the file is what counts
      expect((await setCourseState(s, 'physics', 'active')).changed).toBe(true);
      expect((await policyOf(repo)).policy.courses).toEqual({});

      // Without a remote, the report and the cost are what the policy would do.
      const report = await tierReport(s);
      expect(report.remote).toBeUndefined();
      expect(report.moves).toEqual([]);
      expect((await tierCost(s)).basis).toBe('policy');
      await addRemote(s, folderRemote('disk', join(dir.path, 'disk')), { reach: reachRemote });
      expect((await tierReport(s)).remote?.name).toBe('disk');
      expect(await codeOf(tierReport(s, 'nope'))).toBe('NOT_FOUND');
    } finally {
      await s.close();
    }
  });
});
