// The one classification of failures (engine/ops/error-kind.ts) and both hosts'
// tables over it: every kind, with the CLI's exit status and stderr line and
// the service's API code and message, as they were before the tables.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/cli/usage-error';
import { describeError, exitCodeOf, exitStatuses } from '../src/cli/exit-codes';
import { WrongPassphraseError } from '../src/engine/crypto/keyslot';
import { AuthenticationError } from '../src/engine/crypto/aead';
import { DamagedObjectError, EngineError, UnsafePathError } from '../src/engine/errors';
import { classifyError, type ErrorKind } from '../src/engine/ops/error-kind';
import { apiErrors, asStrataError } from '../src/engine/service/service';
import { AlreadyExistsError, NotFoundError, UnavailableError } from '../src/engine/storage/backend';
import { StrataError } from '../src/shared/errors';
import { CodedError } from './app/fakes';

const nodeError = (code: string, message: string, path?: string) => Object.assign(new Error(message), path === undefined ? { code } : { code, path });

interface Case {
  name: string;
  error: unknown;
  kind: ErrorKind;
  exit: number;
  /** The line on stderr (after "strata: "). */
  stderr: string;
  api: StrataError['code'];
  apiMessage: string;
}

const cases: Case[] = [
  { name: 'no repository', error: new EngineError('NO_REPOSITORY', 'no repository at /r'), kind: 'NO_REPOSITORY', exit: 3, stderr: 'no repository at /r', api: 'NO_REPOSITORY', apiMessage: 'no repository at /r' },
  { name: 'repository exists', error: new EngineError('REPO_EXISTS', 'a repository exists at /r'), kind: 'REPO_EXISTS', exit: 1, stderr: 'a repository exists at /r', api: 'REPO_EXISTS', apiMessage: 'a repository exists at /r' },
  { name: 'wrong passphrase (key slots)', error: new WrongPassphraseError(), kind: 'WRONG_PASSPHRASE', exit: 4, stderr: 'wrong passphrase (no key slot could be opened)', api: 'WRONG_PASSPHRASE', apiMessage: 'wrong passphrase (no key slot could be opened)' },
  { name: 'wrong passphrase (engine)', error: new EngineError('WRONG_PASSPHRASE', 'bad key'), kind: 'WRONG_PASSPHRASE', exit: 4, stderr: 'bad key', api: 'WRONG_PASSPHRASE', apiMessage: 'bad key' },
  { name: 'damaged object', error: new DamagedObjectError('data/ab12', 'bad tag'), kind: 'DAMAGED', exit: 5, stderr: 'damaged object data/ab12: bad tag', api: 'INTERNAL', apiMessage: 'damaged object data/ab12: bad tag' },
  { name: 'missing object', error: new NotFoundError('data/ab12'), kind: 'MISSING_DATA', exit: 5, stderr: 'missing data: object not found: data/ab12', api: 'NOT_FOUND', apiMessage: 'object not found: data/ab12' },
  { name: 'invalid argument', error: new EngineError('INVALID_ARGUMENT', 'bad author'), kind: 'INVALID_ARGUMENT', exit: 2, stderr: 'bad author', api: 'INVALID_ARGUMENT', apiMessage: 'bad author' },
  { name: 'usage error', error: new UsageError('--kdf-n must be a power of two, got 3'), kind: 'INVALID_ARGUMENT', exit: 2, stderr: '--kdf-n must be a power of two, got 3', api: 'INVALID_ARGUMENT', apiMessage: '--kdf-n must be a power of two, got 3' },
  { name: 'unsafe path', error: new UnsafePathError('../x', 'escapes the target'), kind: 'UNSAFE_PATH', exit: 2, stderr: 'refusing unsafe path "../x": escapes the target', api: 'INTERNAL', apiMessage: 'refusing unsafe path "../x": escapes the target' },
  { name: 'not found (engine)', error: new EngineError('NOT_FOUND', 'no version 7'), kind: 'NOT_FOUND', exit: 1, stderr: 'no version 7', api: 'NOT_FOUND', apiMessage: 'no version 7' },
  { name: 'unavailable (engine)', error: new EngineError('UNAVAILABLE', 'still thawing'), kind: 'UNAVAILABLE', exit: 1, stderr: 'still thawing', api: 'UNAVAILABLE', apiMessage: 'still thawing' },
  { name: 'unavailable (storage)', error: new UnavailableError('connection reset'), kind: 'UNAVAILABLE', exit: 1, stderr: 'connection reset', api: 'UNAVAILABLE', apiMessage: 'connection reset' },
  { name: 'cancelled (engine)', error: new EngineError('CANCELLED', 'the scan was cancelled'), kind: 'CANCELLED', exit: 130, stderr: 'the scan was cancelled', api: 'CANCELLED', apiMessage: 'the scan was cancelled' },
  { name: 'aborted (AbortSignal)', error: AbortSignal.abort().reason, kind: 'CANCELLED', exit: 130, stderr: 'This operation was aborted', api: 'CANCELLED', apiMessage: 'This operation was aborted' },
  { name: 'ENOENT with a path', error: nodeError('ENOENT', "ENOENT: no such file or directory, scandir '/c'", '/c'), kind: 'NO_SUCH_PATH', exit: 1, stderr: "ENOENT: no such file or directory, scandir '/c'", api: 'NOT_FOUND', apiMessage: 'Nothing exists at /c.' },
  { name: 'ENOENT without a path', error: nodeError('ENOENT', 'gone'), kind: 'NO_SUCH_PATH', exit: 1, stderr: 'gone', api: 'NOT_FOUND', apiMessage: 'gone' },
  { name: 'ENOTDIR', error: nodeError('ENOTDIR', 'not a dir', '/a/file'), kind: 'NOT_A_FOLDER', exit: 1, stderr: 'not a dir', api: 'INVALID_ARGUMENT', apiMessage: '/a/file is not a folder.' },
  { name: 'EACCES', error: nodeError('EACCES', 'denied', '/root'), kind: 'PERMISSION_DENIED', exit: 1, stderr: 'denied', api: 'PERMISSION_DENIED', apiMessage: 'Access to /root was denied.' },
  { name: 'EPERM', error: nodeError('EPERM', 'not permitted', '/sys'), kind: 'PERMISSION_DENIED', exit: 1, stderr: 'not permitted', api: 'PERMISSION_DENIED', apiMessage: 'Access to /sys was denied.' },
  { name: 'a bug', error: new TypeError('boom'), kind: 'UNKNOWN', exit: 1, stderr: 'boom', api: 'INTERNAL', apiMessage: 'boom' },
  { name: 'a string thrown', error: 'a string', kind: 'UNKNOWN', exit: 1, stderr: 'a string', api: 'INTERNAL', apiMessage: 'a string' },
  { name: 'an empty message', error: new Error(''), kind: 'UNKNOWN', exit: 1, stderr: '', api: 'INTERNAL', apiMessage: 'Unexpected error.' },
  { name: 'another crypto code', error: new AuthenticationError('tampered'), kind: 'UNKNOWN', exit: 1, stderr: 'tampered', api: 'INTERNAL', apiMessage: 'tampered' },
  { name: 'another storage code', error: new AlreadyExistsError('keys/k1'), kind: 'UNKNOWN', exit: 1, stderr: 'object already exists: keys/k1', api: 'INTERNAL', apiMessage: 'object already exists: keys/k1' },
  { name: 'an engine code on a fake', error: new CodedError('NO_REPOSITORY', 'none'), kind: 'NO_REPOSITORY', exit: 3, stderr: 'none', api: 'NO_REPOSITORY', apiMessage: 'none' },
];

beforeEach(() => vi.stubEnv('STRATA_DEBUG', ''));
afterEach(() => vi.unstubAllEnvs());

describe('classifyError and both hosts\' tables', () => {
  it.each(cases)('$name: $kind, exit $exit, API $api', (c) => {
    expect(classifyError(c.error).kind).toBe(c.kind);
    expect(exitCodeOf(c.error)).toBe(c.exit);
    expect(describeError(c.error)).toBe(c.stderr);
    const failure = asStrataError(c.error);
    expect(failure).toBeInstanceOf(StrataError);
    expect(failure.toApiError()).toEqual({ code: c.api, message: c.apiMessage });
  });

  it('covers every kind, and each table answers every kind', () => {
    const kinds = Object.keys(exitStatuses).sort();
    expect(Object.keys(apiErrors).sort()).toEqual(kinds);
    expect([...new Set(cases.map((c) => c.kind))].sort()).toEqual(kinds);
  });

  it('keeps the path of a Node file system error, and only then', () => {
    expect(classifyError(nodeError('EACCES', 'denied', '/root'))).toEqual({ kind: 'PERMISSION_DENIED', message: 'denied', path: '/root' });
    expect(classifyError(new EngineError('NOT_FOUND', 'no such course'))).toEqual({ kind: 'NOT_FOUND', message: 'no such course' });
  });

  it('passes the service\'s own errors through as they are', () => {
    const own = new StrataError('LOCKED', 'Unlock first.');
    expect(asStrataError(own)).toBe(own);
  });

  it('shows the stack on stderr with STRATA_DEBUG=1', () => {
    vi.stubEnv('STRATA_DEBUG', '1');
    const error = new NotFoundError('data/ab12');
    expect(describeError(error)).toBe(error.stack);
  });
});
