// The golden repository (test/fixtures/golden-v1): written by Strata 0.1.0
// with the format as first released (version-1 key slot, a snapshot, version
// batches holding text, binary, a rename, a tag and a deletion). Every later
// version must keep reading it exactly: the expectations come from
// expected.json, recorded when the fixture was made, not from today's code.

import { createHash } from 'node:crypto';
import { cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDirPerTest } from '../helpers';
import { cliEnv, runCli } from './run-cli';

interface Expected {
  passphrase: string;
  repositoryId: string;
  snapshotTag: string;
  snapshotFiles: Record<string, string>;
  snapshotBinary: Record<string, { size: number; sha256: string }>;
  texts: Record<string, string>;
  log: Array<{ path: string; version: number; op: string; author: string; size: number; sha256: string; summary: string; tags: string[] }>;
}

const FIXTURE = join(__dirname, '..', 'fixtures', 'golden-v1');
const work = tempDirPerTest('strata-golden-');
let expected: Expected;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
  // A copy: opening a repository writes this machine's state, and the fixture stays as committed.
  repo = join(work.path, 'repo');
  await cp(join(FIXTURE, 'repo'), repo, { recursive: true });
  env = cliEnv(repo, { STRATA_PASSPHRASE: expected.passphrase });
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('the golden repository of format version 1', () => {
  it('passes check --read-data', async () => {
    const result = await runCli(['check', '--read-data'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('lists its snapshot and restores it byte for byte', async () => {
    const snapshots = await runCli(['snapshots', '--json'], env);
    expect(snapshots.code).toBe(0);
    const list = JSON.parse(snapshots.stdout) as Array<{ id: string; tags: string[] }>;
    expect(list).toHaveLength(1);
    expect(list[0]?.tags).toEqual([expected.snapshotTag]);

    const target = join(work.path, 'restored');
    const restore = await runCli(['restore', 'latest', '--target', target], env);
    expect(restore.code).toBe(0);
    for (const [path, text] of Object.entries(expected.snapshotFiles)) {
      expect(await readFile(join(target, path), 'utf8')).toBe(text);
    }
    for (const [path, { size, sha256: hash }] of Object.entries(expected.snapshotBinary)) {
      const bytes = await readFile(join(target, path));
      expect(bytes.length).toBe(size);
      expect(sha256(bytes)).toBe(hash);
    }
  });

  it('reads the version history: numbers, operations, authors, tags and every version\'s content', async () => {
    const folder = join(work.path, 'course');
    await mkdir(folder);
    const add = await runCli(['add', folder, '--name', 'course'], env);
    expect(add.code).toBe(0);

    const log = await runCli(['log', folder, '--json'], env);
    expect(log.code).toBe(0);
    const entries = JSON.parse(log.stdout) as Expected['log'];
    const pick = (e: Expected['log'][number]): unknown => ({ path: e.path, version: e.version, op: e.op, author: e.author, size: e.size, sha256: e.sha256, summary: e.summary, tags: e.tags });
    expect(entries.map(pick)).toEqual(expected.log.map(pick));

    for (const [ref, text] of Object.entries(expected.texts)) {
      const show = await runCli(['show', join(folder, ref)], env);
      expect(show.stderr).toBe('');
      expect(show.stdout).toBe(text);
    }
  });
});
