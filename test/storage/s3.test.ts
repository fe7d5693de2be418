// The S3 backend against a real S3 server (Ceph RGW on 127.0.0.1, started
// here): the same conformance suite as every other backend, plus what only S3
// has (storage classes as tiers, URL parsing, an unreachable endpoint).
// Skipped with a notice where Ceph is not installed, unless
// STRATA_REQUIRE_S3=1, which makes a missing server fail.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/engine/storage/backend';
import { parseRestoreHeader, parseS3Url, S3Backend, type S3Config } from '../../src/engine/storage/s3';
import { describeBackendConformance } from './conformance';
import { rgwAvailable, startRgw, type RgwServer } from './rgw-server';

const available = rgwAvailable();
if (!available) {
  if (process.env.STRATA_REQUIRE_S3 === '1') throw new Error('Ceph RGW is not installed: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd');
  process.stderr.write('note: Ceph RGW not installed; S3 backend tests skipped (apt-get install radosgw ceph-mon ceph-osd)\n');
}

let server: Promise<RgwServer> | undefined;
const rgw = (): Promise<RgwServer> => (server ??= startRgw());
afterAll(async () => {
  if (server) await (await server).stop();
});

async function backendAt(prefix: string, extra: Partial<S3Config> = {}): Promise<S3Backend> {
  const s = await rgw();
  const backend = new S3Backend({
    bucket: 'strata-test', prefix, region: 'us-east-1', endpoint: s.endpoint, forcePathStyle: true,
    hotClass: 'STANDARD', coldClass: 'GLACIER',
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    ...extra,
  });
  await backend.ensureBucket();
  return backend;
}

const uniquePrefix = (): string => `t-${randomBytes(6).toString('hex')}/`;

if (available) {
  describeBackendConformance('S3Backend (Ceph RGW)', async () => ({ backend: await backendAt(uniquePrefix()), cleanup: async () => {} }));
}

describe.skipIf(!available)('S3Backend on RGW: tiers', () => {
  it('puts cold objects in the cold storage class and reports each object\'s tier', async () => {
    const backend = await backendAt(uniquePrefix());
    await backend.put('data/hot-object', new Uint8Array([1, 2, 3]));
    await backend.put('data/cold-object', new Uint8Array([4, 5]), { tier: 'cold' });
    expect((await backend.head('data/hot-object')).tier).toBe('hot');
    expect((await backend.head('data/cold-object')).tier).toBe('cold');
    const listed = new Map<string, string | undefined>();
    for await (const info of backend.list('data/')) listed.set(info.name, info.tier);
    expect(listed).toEqual(new Map([['data/hot-object', 'hot'], ['data/cold-object', 'cold']]));
    // Cold objects read at once on RGW (GLACIER restore delays are AWS's; see docs).
    expect([...await backend.get('data/cold-object')]).toEqual([4, 5]);
    await backend.close();
  });

  it('moves an object between classes in place, and a restore request on a server without restores leaves it readable', async () => {
    const backend = await backendAt(uniquePrefix());
    await backend.put('data/pack', new Uint8Array([7, 8, 9]));
    await backend.setTier('data/pack', 'cold');
    expect(await backend.head('data/pack')).toMatchObject({ tier: 'cold', storageClass: 'GLACIER', size: 3 });
    // No restore yet: on AWS this object would be frozen.
    expect(await backend.thawState('data/pack')).toEqual({ state: 'frozen', storageClass: 'GLACIER' });
    await backend.requestThaw('data/pack', 1); // RGW: 501, so archive classes read at once
    expect(await backend.thawState('data/pack')).toEqual({ state: 'ready' });
    await backend.setTier('data/pack', 'hot');
    expect(await backend.head('data/pack')).toMatchObject({ tier: 'hot', storageClass: 'STANDARD' });
    expect([...await backend.get('data/pack')]).toEqual([7, 8, 9]);
    await backend.close();
  });

  it('says clearly when the endpoint cannot be reached', async () => {
    const backend = new S3Backend({ bucket: 'nothing-here', prefix: '', region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, hotClass: 'STANDARD', coldClass: 'GLACIER', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(backend.head('config')).rejects.toBeInstanceOf(UnavailableError);
    await expect(backend.head('config')).rejects.toThrow(/unreachable/);
    await backend.close();
  });
});

describe('parseRestoreHeader (AWS HeadObject x-amz-restore)', () => {
  it('tells frozen, thawing and thawed apart', () => {
    expect(parseRestoreHeader(undefined, 'GLACIER')).toEqual({ state: 'frozen', storageClass: 'GLACIER' });
    expect(parseRestoreHeader('ongoing-request="true"', 'DEEP_ARCHIVE')).toEqual({ state: 'thawing', storageClass: 'DEEP_ARCHIVE' });
    expect(parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"', 'GLACIER')).toEqual({ state: 'ready' });
    // A server that reads archive classes directly (learnt from its 501 to RestoreObject).
    expect(parseRestoreHeader(undefined, 'GLACIER', true)).toEqual({ state: 'ready' });
  });
});

describe('parseS3Url', () => {
  it('reads bucket, prefix, endpoint, region, path style and classes', () => {
    expect(parseS3Url('s3://courses/strata/main?endpoint=http://127.0.0.1:7480&region=eu-west-1&storage-class=STANDARD_IA&cold-class=DEEP_ARCHIVE')).toEqual({
      bucket: 'courses', prefix: 'strata/main/', region: 'eu-west-1', endpoint: 'http://127.0.0.1:7480', forcePathStyle: true, hotClass: 'STANDARD_IA', coldClass: 'DEEP_ARCHIVE',
    });
    expect(parseS3Url('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '', region: 'us-east-1', forcePathStyle: false, hotClass: 'STANDARD', coldClass: 'GLACIER' });
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseS3Url('http://bucket/x')).toThrow(/not an s3:\/\/ URL/);
    expect(() => parseS3Url('s3://Bad_Bucket/x')).toThrow(/bad bucket name/);
    expect(() => parseS3Url('s3://bucket/x?colour=red')).toThrow(/unknown option "colour"/);
    expect(() => parseS3Url('s3://bucket/x?storage-class=glacier')).toThrow(/bad storage class/);
    expect(() => parseS3Url('s3://bucket/x?endpoint=ftp://h')).toThrow(/endpoint must be an http/);
  });
});

describe.skipIf(!available)('sync with an S3 remote on RGW', () => {
  it('replicates a repository to S3, nothing readable is there, and a clone restores byte for byte', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tempDir, fastKdf, MARKER, seededBytes, snapshotOfDisk } = await import('../helpers');
    const { initRepositoryAt, initLocalStoreAt, openRepositoryAt } = await import('../../src/engine/repo/location');
    const { Repository } = await import('../../src/engine/repo/repository');
    const { check } = await import('../../src/engine/maintenance/check');
    const { backup } = await import('../../src/engine/snapshot/archiver');
    const { restore } = await import('../../src/engine/snapshot/restorer');
    const { listSnapshots } = await import('../../src/engine/snapshot/snapshots');
    const { openRemote } = await import('../../src/engine/sync/remote-location');
    const { syncRepositories } = await import('../../src/engine/sync/replicate');
    const s = await rgw();
    process.env.AWS_ACCESS_KEY_ID = s.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s.secretAccessKey;
    const dir = await tempDir('strata-s3-sync-');
    try {
      const source = join(dir.path, 'course');
      await mkdir(source);
      await writeFile(join(source, 'notes.md'), `${MARKER}\n`.repeat(50));
      await writeFile(join(source, 'clip.bin'), seededBytes(4, 300_000));
      const repo = await initRepositoryAt(join(dir.path, 'A'), 'pass', { kdf: fastKdf() });
      await backup(repo, { paths: [source] });
      const url = `s3://strata-test/${uniquePrefix()}repo?endpoint=${encodeURIComponent(s.endpoint)}`;
      const remote = await openRemote({ name: 's3', hot: url }, { create: true });
      const up = await syncRepositories(repo.backend, remote);
      expect(up.uploaded.objects).toBeGreaterThan(3);
      expect((await syncRepositories(repo.backend, remote)).uploaded.objects).toBe(0);
      // Every object on the server, read back: no marker in the clear.
      let objects = 0;
      for (const prefix of ['config', 'keys/', 'data/', 'index/', 'snapshots/']) {
        for await (const info of remote.list(prefix)) {
          objects++;
          expect(Buffer.from(await remote.get(info.name)).includes(Buffer.from(MARKER))).toBe(false);
        }
      }
      expect(objects).toBe(up.uploaded.objects);
      expect((await check(await Repository.open(remote, 'pass'), { readData: true })).problems).toEqual([]);
      const localB = await initLocalStoreAt(join(dir.path, 'B'));
      await syncRepositories(localB, remote, { upload: false });
      const b = await openRepositoryAt(join(dir.path, 'B'), 'pass');
      const [latest] = (await listSnapshots(b)).slice(-1);
      await restore(b, latest!.snapshot, { target: join(dir.path, 'restored') });
      expect(await snapshotOfDisk(join(dir.path, 'restored', 'course'))).toEqual(await snapshotOfDisk(source));
      await remote.close();
    } finally {
      await dir.cleanup();
    }
  });
});
