// The crash-point test hook: its variable's syntax, and no wrapper without it.
// (The kills themselves are exercised by test/cli/crash.test.ts and remote-cli.test.ts.)
import { describe, expect, it } from 'vitest';
import { parseCrashPoint, withCrashPoint } from '../../src/engine/storage/crash-point';
import { MemoryBackend } from '../../src/engine/storage/memory';

describe('STRATA_TEST_CRASH_AT', () => {
  it('reads put:N, a moment and a name prefix', () => {
    expect(parseCrashPoint('put:1')).toEqual({ put: 1, when: 'before', prefix: '' });
    expect(parseCrashPoint('put:12:after')).toEqual({ put: 12, when: 'after', prefix: '' });
    expect(parseCrashPoint('put:3:mid:data/')).toEqual({ put: 3, when: 'mid', prefix: 'data/' });
    expect(parseCrashPoint('put:2:versions/')).toEqual({ put: 2, when: 'before', prefix: 'versions/' });
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['', 'put', 'put:0', 'put:-1', 'put:1.5', 'put:x', 'get:1', 'put:1:soon:data/', 'put:1:after:data/:x', 'put:1:a b']) {
      expect(() => parseCrashPoint(bad), bad).toThrow(/STRATA_TEST_CRASH_AT=.*expected put:N/);
    }
  });

  it('adds no wrapper when the variable is not set', () => {
    expect(process.env.STRATA_TEST_CRASH_AT).toBeUndefined();
    const backend = new MemoryBackend();
    expect(withCrashPoint(backend)).toBe(backend);
  });
});
