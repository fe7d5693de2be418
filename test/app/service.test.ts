import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, isApiError, type EventSink, type StrataEvent } from '../../src/shared/api';
import { asStrataError, createService, dispatch } from '../../src/engine/service/service';
import { withTimeout } from '../../src/engine/service/timeout';
import { ENGINE_VERSION } from '../../src/engine/version';
import { CodedError, fakeEngine, rejection } from './fakes';

function setup() {
  const engine = fakeEngine('/home/test/Strata');
  const events: StrataEvent[] = [];
  const emit: EventSink = (name, payload) => events.push({ name, payload } as StrataEvent);
  const service = createService(engine, emit);
  return { engine, events, service };
}

describe('the contract', () => {
  it('lists each method once and createService implements them all', () => {
    expect(new Set(API_METHODS).size).toBe(API_METHODS.length);
    const { service } = setup();
    for (const method of API_METHODS) expect(typeof service[method]).toBe('function');
    expect(Object.keys(service).sort()).toEqual([...API_METHODS].sort());
  });
});

describe('createService', () => {
  it('reports the engine version', async () => {
    const { service } = setup();
    expect(await service['app.version']()).toEqual({ engine: ENGINE_VERSION });
  });

  it('reports no repository on first run, at the default location', async () => {
    const { service } = setup();
    expect(await service['repo.status']()).toEqual({
      state: 'none',
      path: '/home/test/Strata',
      defaultPath: '/home/test/Strata',
    });
  });

  it('creates a repository, unlocks it and announces the change', async () => {
    const { service, engine, events } = setup();
    const status = await service['repo.create']({ path: '/data/repo', passphrase: 'correct horse' });
    expect(status).toEqual({ state: 'unlocked', path: '/data/repo', defaultPath: '/home/test/Strata' });
    expect(engine.repositories.get('/data/repo')).toBe('correct horse');
    expect(events).toEqual([{ name: 'repo.changed', payload: status }]);
    expect(await service['repo.status']()).toEqual(status);
  });

  it('refuses to create over an existing repository', async () => {
    const { service, engine } = setup();
    engine.repositories.set('/data/repo', 'whatever1');
    const err = await rejection(service['repo.create']({ path: '/data/repo', passphrase: 'correct horse' }));
    expect(err.code).toBe('REPO_EXISTS');
    expect(engine.repositories.get('/data/repo')).toBe('whatever1');
  });

  it.each([
    [undefined, undefined],
    ['not an object', undefined],
    [{ passphrase: 'correct horse' }, 'path'],
    [{ path: '', passphrase: 'correct horse' }, 'path'],
    [{ path: '   ', passphrase: 'correct horse' }, 'path'],
    [{ path: 'relative/dir', passphrase: 'correct horse' }, 'path'],
    [{ path: '/x\0y', passphrase: 'correct horse' }, 'path'],
    [{ path: '/data/repo' }, 'passphrase'],
    [{ path: '/data/repo', passphrase: 42 }, 'passphrase'],
    [{ path: '/data/repo', passphrase: 'short' }, 'passphrase'],
  ])('rejects repo.create(%j) with INVALID_ARGUMENT', async (args, field) => {
    const { service, engine } = setup();
    // Deliberately ill-typed: hosts pass whatever arrived over IPC or HTTP.
    const create = service['repo.create'] as (args: unknown) => Promise<unknown>;
    const err = await rejection(create(args));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.field).toBe(field);
    expect(engine.repositories.size).toBe(0);
  });

  it('expands ~/ and normalises paths', async () => {
    const { service } = setup();
    const status = await service['repo.create']({ path: ' ~/backups/../Strata ', passphrase: 'correct horse' });
    expect(status.path).toBe(join(homedir(), 'Strata'));
  });

  it('unlocks with the right passphrase only', async () => {
    const { service, engine } = setup();
    engine.repositories.set('/home/test/Strata', 'correct horse');
    expect((await service['repo.status']()).state).toBe('locked');
    const wrong = await rejection(service['repo.unlock']({ path: '/home/test/Strata', passphrase: 'wrong horse' }));
    expect(wrong.code).toBe('WRONG_PASSPHRASE');
    expect(wrong.field).toBe('passphrase');
    expect((await service['repo.status']()).state).toBe('locked');

    const missing = await rejection(service['repo.unlock']({ path: '/elsewhere', passphrase: 'correct horse' }));
    expect(missing.code).toBe('NO_REPOSITORY');

    const status = await service['repo.unlock']({ path: '/home/test/Strata', passphrase: 'correct horse' });
    expect(status.state).toBe('unlocked');
  });

  it('backs a folder up into the unlocked repository with its passphrase', async () => {
    const { service, engine, events } = setup();
    await service['repo.create']({ path: '/data/repo', passphrase: 'correct horse' });
    events.length = 0;
    const result = await service['folders.backup']({ path: '/courses/ceramics' });
    expect(result).toEqual({ snapshot: 'snap-1', files: 3, bytes: 1234 });
    expect(engine.backups).toEqual([{ path: '/courses/ceramics', repoPath: '/data/repo', passphrase: 'correct horse' }]);
    expect(events).toEqual([
      { name: 'backup.progress', payload: { phase: 'started', path: '/courses/ceramics' } },
      { name: 'backup.progress', payload: { phase: 'finished', path: '/courses/ceramics', result } },
    ]);
  });

  it('needs an unlocked repository to back up', async () => {
    const { service, engine } = setup();
    const err = await rejection(service['folders.backup']({ path: '/courses/ceramics' }));
    expect(err.code).toBe('LOCKED');
    expect(engine.backups).toEqual([]);
  });

  it('refuses to back up a folder that contains the repository', async () => {
    const { service } = setup();
    await service['repo.create']({ path: '/data/repo', passphrase: 'correct horse' });
    expect((await rejection(service['folders.backup']({ path: '/data' }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(service['folders.backup']({ path: '/data/repo' }))).code).toBe('INVALID_ARGUMENT');
    // A sibling whose name merely starts with the same letters is fine.
    await expect(service['folders.backup']({ path: '/data/repository-notes' })).resolves.toBeDefined();
  });

  it('maps engine failures to contract codes and reports them as events', async () => {
    const { service, events } = setup();
    await service['repo.create']({ path: '/data/repo', passphrase: 'correct horse' });
    events.length = 0;
    const err = await rejection(service['folders.backup']({ path: '/courses/missing' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('/courses/missing');
    expect(events.at(-1)).toEqual({
      name: 'backup.progress',
      payload: { phase: 'failed', path: '/courses/missing', error: err.toApiError() },
    });
  });

  it('forgets the passphrase on lock but remembers the repository', async () => {
    const { service, engine } = setup();
    await service['repo.create']({ path: '/data/repo', passphrase: 'correct horse' });
    expect(await service['repo.lock']()).toEqual({ state: 'locked', path: '/data/repo', defaultPath: '/home/test/Strata' });
    expect((await rejection(service['folders.backup']({ path: '/courses/a' }))).code).toBe('LOCKED');
    expect(engine.backups).toEqual([]);
  });
});

describe('asStrataError', () => {
  it.each([
    [new CodedError('WRONG_PASSPHRASE', 'bad key'), 'WRONG_PASSPHRASE'],
    [new CodedError('NO_REPOSITORY', 'none'), 'NO_REPOSITORY'],
    [Object.assign(new Error('denied'), { code: 'EACCES', path: '/root' }), 'PERMISSION_DENIED'],
    [Object.assign(new Error('not a dir'), { code: 'ENOTDIR', path: '/a/file' }), 'INVALID_ARGUMENT'],
    [new CodedError('AUTH_FAILED', 'tampered'), 'INTERNAL'],
    [new TypeError('boom'), 'INTERNAL'],
    ['a string', 'INTERNAL'],
  ])('maps %o to %s', (thrown, code) => {
    expect(asStrataError(thrown).code).toBe(code);
  });
});

describe('dispatch', () => {
  it('wraps results and errors in the wire envelope', async () => {
    const { service } = setup();
    expect(await dispatch(service, 'app.version', [])).toEqual({ result: { engine: ENGINE_VERSION } });
    const failed = await dispatch(service, 'folders.backup', [{ path: '/x' }]);
    expect('error' in failed && isApiError(failed.error) && failed.error.code).toBe('LOCKED');
  });

  it('reports unexpected failures to the host but still answers', async () => {
    const { service } = setup();
    const broken = { ...service, 'app.version': () => Promise.reject(new TypeError('bug')) };
    const onInternalError = vi.fn();
    expect(await dispatch(broken, 'app.version', [], onInternalError)).toEqual({
      error: { code: 'INTERNAL', message: 'bug' },
    });
    expect(onInternalError).toHaveBeenCalledOnce();
  });
});

describe('withTimeout (a remote that never answers)', () => {
  it('gives up after the time with an error naming what did not answer, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    try {
      let fail: (error: Error) => void = () => {};
      const never = new Promise<string>((_, reject) => (fail = reject));
      const outcome = withTimeout(never, 10_000, 'remote "cloud"').catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(await outcome).toEqual(new Error('remote "cloud" did not answer in 10 s'));
      expect(vi.getTimerCount()).toBe(0);
      fail(new Error('late')); // its late failure is nobody's unhandled rejection
      await Promise.resolve();
    } finally {
      vi.useRealTimers();
    }
  });

  it('resolves and rejects as the work does when it answers in time', async () => {
    expect(await withTimeout(Promise.resolve(42), 1_000, 'x')).toBe(42);
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000, 'x')).rejects.toThrow('refused');
  });
});
