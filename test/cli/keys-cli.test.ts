// Where a repository is and where its passphrase comes from, as a user meets
// them: the location is checked before any passphrase is needed, a repository
// without key slots is called incomplete (not "wrong passphrase"), and a
// passphrase file is read safely (permissions, FIFOs, devices, huge files).

import { spawnSync } from 'node:child_process';
import { chmod, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirPerTest } from '../helpers';
import { cliEnv, runCli } from './run-cli';

const dir = tempDirPerTest('strata-keys-cli-');

/** A fresh repository in the test's folder and its environment (passphrase from STRATA_PASSPHRASE). */
async function newRepo(): Promise<{ repo: string; env: NodeJS.ProcessEnv }> {
  const repo = join(dir.path, 'repo');
  const env = cliEnv(repo);
  const init = await runCli(['init', '--kdf-n', '1024'], env);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  return { repo, env };
}

/** The environment without any passphrase source (and stdin is not a terminal in these tests). */
function noPassphrase(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.STRATA_PASSPHRASE;
  delete copy.STRATA_PASSPHRASE_FILE;
  return copy;
}

describe('the location is checked before the passphrase', () => {
  it('a --repo that does not exist, with no passphrase available, is "no repository" (exit 3)', async () => {
    const env = noPassphrase(cliEnv(join(dir.path, 'nowhere')));
    for (const args of [['snapshots'], ['check'], ['key', 'list'], ['scan']]) {
      const result = await runCli(args, env);
      expect(result.stderr).toMatch(/^strata: no repository at .*nowhere/);
      expect(result.stderr).not.toMatch(/passphrase/);
      expect(result.code).toBe(3);
    }
  });

  it('a location with a config but no key slots is an incomplete repository (exit 3), with or without a passphrase', async () => {
    const { repo, env } = await newRepo();
    for (const name of await readdir(join(repo, 'keys'))) await rm(join(repo, 'keys', name));
    for (const e of [env, noPassphrase(env)]) {
      const result = await runCli(['check'], e);
      expect(result.stderr).toMatch(/^strata: the repository at .* is incomplete: it has a config but no key slots yet[^\n]*strata sync[^\n]*\n$/);
      expect(result.stderr).not.toMatch(/wrong passphrase/);
      expect(result.code).toBe(3);
    }
  });
});

describe('STRATA_PASSPHRASE_FILE', () => {
  /** A new repository, and its environment with the passphrase coming from `path` only. */
  async function withFile(path: string): Promise<NodeJS.ProcessEnv> {
    const { env } = await newRepo();
    return { ...noPassphrase(env), STRATA_PASSPHRASE_FILE: path };
  }

  it('warns in one line when the file can be read by other users, and still works', async () => {
    const file = join(dir.path, 'pass.txt');
    await writeFile(file, 'test passphrase\n');
    const e = await withFile(file);
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(file, mode);
      const result = await runCli(['snapshots', '--json'], e);
      expect(result.code).toBe(0);
      const lines = result.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^warning: .*pass\.txt: STRATA_PASSPHRASE_FILE can be read by other users .*chmod 600/);
    }
    await chmod(file, 0o600);
    const quiet = await runCli(['snapshots', '--json'], e);
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(0);
  });

  it('refuses a FIFO without waiting for a writer (exit 2)', async () => {
    const fifo = join(dir.path, 'pass.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const result = await runCli(['snapshots'], await withFile(fifo));
    expect(result.stderr).toMatch(/^strata: STRATA_PASSPHRASE_FILE \(.*pass\.fifo\) is not a regular file/);
    expect(result.code).toBe(2);
  });

  it('refuses /dev/zero instead of reading it forever (exit 2)', async () => {
    const result = await runCli(['snapshots'], await withFile('/dev/zero'));
    expect(result.stderr).toMatch(/^strata: STRATA_PASSPHRASE_FILE \(\/dev\/zero\) is not a regular file/);
    expect(result.code).toBe(2);
  });

  it('refuses a file far larger than any passphrase (exit 2)', async () => {
    const file = join(dir.path, 'huge.txt');
    await writeFile(file, 'x'.repeat(100 * 1024), { mode: 0o600 });
    const result = await runCli(['snapshots'], await withFile(file));
    expect(result.stderr).toMatch(/^strata: STRATA_PASSPHRASE_FILE \(.*huge\.txt\) is larger than 64 KiB/);
    expect(result.code).toBe(2);
  });

  it('applies to STRATA_NEW_PASSPHRASE_FILE too', async () => {
    const { env: e } = await newRepo();
    const result = await runCli(['key', 'add', '--kdf-n', '1024'], { ...e, STRATA_NEW_PASSPHRASE_FILE: '/dev/zero' });
    expect(result.stderr).toMatch(/^strata: STRATA_NEW_PASSPHRASE_FILE \(\/dev\/zero\) is not a regular file/);
    expect(result.code).toBe(2);
  });
});

describe('key slots as the CLI shows them', () => {
  it('key list shows each slot\'s version (new slots are version 2)', async () => {
    const { env } = await newRepo();
    const list = await runCli(['key', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\* [0-9a-f]{8} {2}v2 {2}\S+ {2}\S*@\S+\n$/);
    const json = JSON.parse((await runCli(['key', 'list', '--json'], env)).stdout) as Array<{ version: number }>;
    expect(json.map((k) => k.version)).toEqual([2]);
  });

  it('a key slot with KDF parameters out of bounds is listed as damaged and can be removed', async () => {
    const { repo, env } = await newRepo();
    const planted = '0'.repeat(64);
    await writeFile(join(repo, 'keys', planted), JSON.stringify({
      version: 2, repository: 'a'.repeat(64), kdf: { algorithm: 'scrypt', N: 2 ** 20, r: 8, p: 2, salt: Buffer.alloc(16).toString('base64') },
      created: new Date().toISOString(), host: 'h', user: 'u', commitment: Buffer.alloc(32).toString('base64'), wrapped: Buffer.alloc(136).toString('base64'),
    }));
    const list = await runCli(['key', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ {2}00000000 {2}damaged: .*limit is 256 MiB/m);
    const removed = await runCli(['key', 'remove', '0000'], env);
    expect(removed.code).toBe(0);
    expect(await readdir(join(repo, 'keys'))).toHaveLength(1);
  });
});
