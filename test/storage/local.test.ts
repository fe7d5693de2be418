// LocalBackend beyond the conformance suite: on-disk layout, crash atomicity
// (writers SIGKILLed mid-put), temp-file hygiene, and errno mapping.
import { spawn } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidNameError, NoSpaceError, NotFoundError, UnavailableError } from '../../src/engine/storage/backend';
import { LocalBackend } from '../../src/engine/storage/local';
import { expectSameBytes, expectStorageError, failure, listNames, patterned } from './conformance';

// Pass-through spies, so single tests can make one fs call fail with a chosen errno.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: vi.fn(actual.open),
    readFile: vi.fn(actual.readFile),
    readdir: vi.fn(actual.readdir),
    rename: vi.fn(actual.rename),
    stat: vi.fn(actual.stat),
  };
});

const realFs = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');

let dir: string;
let root: string;
let backend: LocalBackend;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-local-test-'));
  root = path.join(dir, 'repo');
  backend = await LocalBackend.create(root);
});

afterEach(async () => {
  vi.resetAllMocks();
  await backend.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `top`, as '/'-separated paths relative to it, read with the real fs. */
async function filesOnDisk(top: string): Promise<string[]> {
  const entries = await realFs.readdir(top, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(top, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

function errnoError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall} '${file}'`), { code, syscall, path: file });
}

/** Makes the open() of put's temp file (the only 'wx' open) fail, or wraps the handle it returns. */
function onTempOpen(action: (file: string) => Promise<Awaited<ReturnType<typeof open>>>): void {
  vi.mocked(open).mockImplementation(async (file, flags, mode) =>
    flags === 'wx' ? action(String(file)) : realFs.open(file, flags, mode),
  );
}

describe('LocalBackend layout', () => {
  it('stores object a/b/c as the file <root>/a/b/c holding exactly its bytes', async () => {
    const data = patterned(3000, 1);
    await backend.put('a/b/c', data);
    expectSameBytes(new Uint8Array(await readFile(path.join(root, 'a', 'b', 'c'))), data);
    expect(await filesOnDisk(root)).toEqual(['a/b/c']);
  });

  it('create() makes the root and its missing parents', async () => {
    const nested = path.join(dir, 'x', 'y', 'z');
    const created = await LocalBackend.create(nested);
    expect((await stat(nested)).isDirectory()).toBe(true);
    expect(created.location).toBe(nested);
  });

  it('does not list its temp files, but lists foreign files whatever their names (the repository reports them)', async () => {
    await backend.put('data/ab/object', patterned(10, 2));
    // What a crash mid-put leaves behind, and what other programs might drop.
    await writeFile(path.join(root, 'data', 'ab', '.tmp-0123456789abcdef~'), 'partial');
    await writeFile(path.join(root, '.tmp-fedcba9876543210~'), 'partial');
    await writeFile(path.join(root, 'data', 'not valid'), 'foreign');
    await writeFile(path.join(root, 'data', 'ab', 'x~'), 'foreign');
    expect(await listNames(backend, '')).toEqual(['data/ab/object', 'data/ab/x~', 'data/not valid']);
    expect(await listNames(backend, 'data/ab/')).toEqual(['data/ab/object', 'data/ab/x~']);
  });

  it('list reads only the directories the prefix can match', async () => {
    await Promise.all(['data/ab/1', 'data/ab/2', 'data/abc/3', 'data/cd/4', 'index/5'].map((name) => backend.put(name, patterned(1, 3))));
    vi.mocked(readdir).mockClear();
    expect(await listNames(backend, 'data/ab')).toEqual(['data/ab/1', 'data/ab/2', 'data/abc/3']);
    const read = vi.mocked(readdir).mock.calls.map(([file]) => path.relative(root, String(file)));
    expect(read.sort()).toEqual(['data', 'data/ab', 'data/abc'].map((name) => name.split('/').join(path.sep)));
  });

  it('recreates a directory removed behind its back', async () => {
    await backend.put('x/y/1', patterned(10, 4));
    await rm(path.join(root, 'x'), { recursive: true });
    await backend.put('x/y/2', patterned(10, 5));
    expect(await listNames(backend, 'x/')).toEqual(['x/y/2']);
  });

  it('leaves only the original when an exclusive put loses', async () => {
    await backend.put('lock/one', patterned(10, 6), { ifNotExists: true });
    await failure(() => backend.put('lock/one', patterned(10, 7), { ifNotExists: true }));
    expect(await filesOnDisk(root)).toEqual(['lock/one']);
    expectSameBytes(await backend.get('lock/one'), patterned(10, 6));
  });

  it('rejects a valid name whose segment is longer than the filesystem allows', async () => {
    const name = `data/${'n'.repeat(300)}`;
    await expectStorageError(() => backend.put(name, patterned(1, 8)), InvalidNameError, 'INVALID_NAME');
    expect(await filesOnDisk(root)).toEqual([]);
  });

  it('cannot store an object below another object, and says why', async () => {
    // The one place the local layout is narrower than the contract: 'a' and 'a/b' cannot both exist.
    await backend.put('a', patterned(1, 9));
    const error = await failure(() => backend.put('a/b', patterned(1, 10)));
    expect(String(error)).toContain(path.join(root, 'a', 'b'));
    expect(await filesOnDisk(root)).toEqual(['a']);
  });
});

describe('LocalBackend crash atomicity', () => {
  // The fixture is bundled to plain JavaScript once, so each child starts as
  // fast as bare node (a tsx loader per child costs more than the test itself).
  let bundleDir = '';
  let putLoop = '';
  beforeAll(async () => {
    bundleDir = await mkdtemp(path.join(tmpdir(), 'strata-put-loop-'));
    putLoop = path.join(bundleDir, 'put-loop.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/put-loop.ts', import.meta.url))],
      outfile: putLoop,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  /** Runs a put-loop child, SIGKILLs it during a put, returns the names whose puts it saw resolve. */
  async function putUntilKilled(repoRoot: string): Promise<string[]> {
    const child = spawn(process.execPath, [putLoop, repoRoot], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    // Aim at the start of a random one of the first few puts, then let a random few milliseconds pass,
    // so kills land while writing, syncing, renaming or linking.
    const targetPut = randomInt(1, 5);
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if ((stdout.match(/^put /gm)?.length ?? 0) >= targetPut) resolve();
      });
      void closed.then(() => reject(new Error(`put-loop exited before it was killed: ${stderr}`)));
    });
    await delay(randomInt(0, 30));
    child.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
    return [...stdout.matchAll(/^done (\S+)$/gm)].map((match) => match[1] ?? '');
  }

  it('keeps every object whole when writers are SIGKILLed mid-put', async () => {
    const reported: string[] = [];
    for (let round = 0; round < 3; round++) {
      // Two writers at once, so they also race on creating directories.
      const names = await Promise.all([putUntilKilled(root), putUntilKilled(root)]);
      reported.push(...names.flat());
    }

    const reader = new LocalBackend(root);
    const listed = await listNames(reader, '');
    expect(new Set(listed).size).toBe(listed.length);
    for (const name of reported) expect(listed).toContain(name);
    for (const name of listed) {
      expect(name).toMatch(/^data\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
      const content = await reader.get(name);
      expect(createHash('sha256').update(content).digest('hex')).toBe(name.slice(-64));
      expect(createHash('sha256').update(content.subarray(32)).digest()).toEqual(Buffer.from(content.subarray(0, 32)));
    }
    // Whatever the kills left on disk besides objects is temp files, and those were not listed.
    const leftovers = (await filesOnDisk(root)).filter((file) => !listed.includes(file));
    for (const file of leftovers) expect(path.basename(file)).toMatch(/^\.tmp-[0-9a-f]{16}~$/);
  });
});

describe('LocalBackend errno mapping', () => {
  it('maps ENOSPC when creating the temp file to NoSpaceError', async () => {
    onTempOpen(async (file) => {
      throw errnoError('ENOSPC', 'open', file);
    });
    const error = await failure(() => backend.put('data/full', patterned(100, 11)));
    expect(error).toBeInstanceOf(NoSpaceError);
    expect((error as NoSpaceError).code).toBe('NO_SPACE');
    expect((error as Error).message).toContain(path.join(root, 'data', 'full'));
  });

  it('maps ENOSPC while writing to NoSpaceError and removes the temp file', async () => {
    onTempOpen(async (file) => {
      const handle = await realFs.open(file, 'wx');
      handle.writeFile = async () => {
        throw errnoError('ENOSPC', 'write', file);
      };
      return handle;
    });
    await expectStorageError(() => backend.put('data/full', patterned(100, 12)), NoSpaceError, 'NO_SPACE');
    expect(await filesOnDisk(root)).toEqual([]);
  });

  it('maps EDQUOT to NoSpaceError', async () => {
    onTempOpen(async (file) => {
      throw errnoError('EDQUOT', 'open', file);
    });
    await expectStorageError(() => backend.put('data/quota', patterned(1, 13)), NoSpaceError, 'NO_SPACE');
  });

  it('removes the temp file and maps EIO when the rename fails', async () => {
    vi.mocked(rename).mockImplementationOnce(async (from) => {
      throw errnoError('EIO', 'rename', String(from));
    });
    const error = await failure(() => backend.put('data/eio', patterned(100, 14)));
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toContain(path.join(root, 'data', 'eio'));
    expect(await filesOnDisk(root)).toEqual([]);
  });

  it('maps EROFS on put to UnavailableError naming the path', async () => {
    onTempOpen(async (file) => {
      throw errnoError('EROFS', 'open', file);
    });
    const error = await failure(() => backend.put('data/ro', patterned(1, 15)));
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/read-only/);
    expect((error as Error).message).toContain(path.join(root, 'data', 'ro'));
  });

  it('maps EACCES on get and EIO on head to UnavailableError naming the path', async () => {
    await backend.put('data/secret', patterned(1, 16));
    vi.mocked(readFile).mockImplementationOnce(async (file) => {
      throw errnoError('EACCES', 'open', String(file));
    });
    const denied = await failure(() => backend.get('data/secret'));
    expect(denied).toBeInstanceOf(UnavailableError);
    expect((denied as Error).message).toMatch(/permission denied/);
    expect((denied as Error).message).toContain(path.join(root, 'data', 'secret'));

    vi.mocked(stat).mockImplementationOnce(async (file) => {
      throw errnoError('EIO', 'stat', String(file));
    });
    await expectStorageError(() => backend.head('data/secret'), UnavailableError, 'UNAVAILABLE');
  });

  it('still maps a genuinely missing file to NotFoundError', async () => {
    await expectStorageError(() => backend.get('data/none'), NotFoundError, 'NOT_FOUND');
  });

  // Root ignores permission bits, so this real-chmod check only runs unprivileged;
  // the mocked EACCES test above covers the mapping everywhere.
  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('maps a real read-only directory to UnavailableError', async () => {
    await mkdir(path.join(root, 'locked'));
    await chmod(path.join(root, 'locked'), 0o500);
    try {
      await expectStorageError(() => backend.put('locked/object', patterned(1, 17)), UnavailableError, 'UNAVAILABLE');
    } finally {
      await chmod(path.join(root, 'locked'), 0o700);
    }
  });
});
