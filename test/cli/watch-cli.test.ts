// `strata watch [--sync]` through the real process: with a folder remote it
// records a save, prints its version and the sync that sends it up, and
// stops cleanly on Ctrl+C (SIGINT) with the remote holding the batch; without
// a remote, with an unknown one, or with several and none named (as for
// `strata sync`), --sync is a usage error; with no folder tracked, watch says so.
// Waits are for lines on stdout (or the process's end), never for time.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchFiles, tempDirPerTest, writeSettled } from '../helpers';
import { cliEnv, runCli, runOk, startCli } from './run-cli';

const dir = tempDirPerTest('strata-watch-cli-');

/** The child's stdout as it comes, and a wait for a line matching a pattern (from a position on); the process ending first fails the wait. */
function stdoutOf(child: ChildProcess): { text: () => string; line: (pattern: RegExp, from?: number) => Promise<{ line: string; end: number }> } {
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.on('data', (d: string | Buffer) => {
    text += d.toString();
    wake();
  });
  child.on('close', () => {
    ended = true;
    wake();
  });
  return {
    text: () => text,
    line: (pattern, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const rest = text.slice(from);
          const lines = rest.split('\n');
          let offset = from;
          // Only whole lines (ended by a newline) count.
          for (const l of lines.slice(0, -1)) {
            offset += l.length + 1;
            if (pattern.test(l)) {
              waiters.delete(check);
              resolve({ line: l, end: offset });
              return;
            }
          }
          if (ended) {
            waiters.delete(check);
            reject(new Error(`strata ended before printing a line matching ${String(pattern)}; stdout:\n${text}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

async function repository(): Promise<{ env: NodeJS.ProcessEnv; repo: string; course: string }> {
  const repo = join(dir.path, 'repo');
  const env = cliEnv(repo);
  await runOk(['init', '--kdf-n', '1024'], env);
  const course = join(dir.path, 'course');
  await writeSettled(join(course, 'intro.md'), '# Intro\n');
  return { env, repo, course };
}

describe('strata watch', () => {
  it('--sync records a save, syncs it with the folder remote, and stops on SIGINT with status 0', async () => {
    const { env, repo, course } = await repository();
    await runOk(['add', course], env);
    const remote = join(dir.path, 'remote');
    await runOk(['remote', 'add', 'disk', '--hot', remote], env);

    const { child, result } = startCli(['watch', '--sync', '--delay', '100'], env);
    const out = stdoutOf(child);
    try {
      await out.line(/^watching "course" \(changes are recorded after 100 ms of quiet; Ctrl\+C stops\)$/);
      // The sync at start sends the repository up (printed before or after the watching line): the save's sync is the next one.
      await out.line(/^\d{2}:\d{2}:\d{2} {2}synced with "disk": [1-9]\d* up, 0 down$/);
      await writeFile(join(course, 'fresh.md'), 'saved while watched\n');
      const version = await out.line(/ {2}course\/fresh\.md {2}@1 {2}add {2}/);
      expect(version.line).toMatch(/^\d{2}:\d{2}:\d{2} {2}course\/fresh\.md {2}@1 {2}add {2}/);
      // The sync the save asked for.
      await out.line(/^\d{2}:\d{2}:\d{2} {2}synced with "disk": [1-9]\d* up, 0 down$/, version.end);
    } finally {
      child.kill('SIGINT');
    }
    const run = await result;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('stopped watching');
    // The remote holds every batch, the one with the save's version among them.
    const local = await batchFiles(repo);
    expect(local.length).toBeGreaterThan(0);
    expect(await batchFiles(remote)).toEqual(local);
    const log = await runOk(['log', join(course, 'fresh.md')], env);
    expect(log.stdout).toMatch(/@1 {2}add +fresh\.md {2}/);
  });

  it('--sync with no remote configured is a usage error (status 2) saying to add one', async () => {
    const { env, course } = await repository();
    await runOk(['add', course], env);
    const run = await runCli(['watch', '--sync'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--sync needs a remote: add one with `strata remote add NAME --hot URL`/);
    expect(run.stdout).not.toMatch(/watching/);
    // An unknown remote's name is one too.
    await runOk(['remote', 'add', 'disk', '--hot', join(dir.path, 'remote')], env);
    const unknown = await runCli(['watch', '--sync', 'elsewhere'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no remote named "elsewhere"/);
    // Several remotes and none named: which one is for the user to say, as `strata sync` asks.
    await runOk(['remote', 'add', 'usb', '--hot', join(dir.path, 'usb')], env);
    const several = await runCli(['watch', '--sync'], env);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/several remotes \(disk, usb\): name the one to use/);
    expect(several.stdout).not.toMatch(/watching/);
  });

  it('with no folder tracked, says so and exits 1', async () => {
    const { env } = await repository();
    const run = await runCli(['watch'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no folders are tracked yet/);
    expect(run.stdout).not.toMatch(/watching/);
  });
});
