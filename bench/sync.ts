// Benchmark of sync to S3 (bench/sync.ts), run by `npm run bench` after the
// other parts when Ceph RGW is installed, or alone:
//
//   node --import tsx bench/sync.ts [CORPUS_DIR]
//
// Backs up the shared 1 GiB corpus (bench/.work/cache, made by the restic
// comparison) into a fresh repository, starts a throw-away Ceph RGW on
// 127.0.0.1 (as the tests do), and times `sync` of that repository to it:
// wall time, MiB/s of repository bytes, and the requests made by kind. As the
// reference, rclone (Debian's) copies the same repository directory, and the
// corpus itself, to the same server. Client and server share the 2 cores.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { defaultKdfParams } from '../src/engine/crypto/kdf';
import { initRepositoryAt } from '../src/engine/repo/location';
import { backup } from '../src/engine/snapshot/archiver';
import type { Backend, ObjectInfo, PutOptions } from '../src/engine/storage/backend';
import { S3Backend } from '../src/engine/storage/s3';
import { syncRepositories } from '../src/engine/sync/replicate';
import { migrate } from '../src/engine/tiers/migrate';
import type { Move } from '../src/engine/tiers/tier-report';
import { rgwAvailable, startRgw } from '../test/storage/rgw-server';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.argv[2] ?? join(projectRoot, 'bench', '.work', 'cache', 'corpus-1073741824-seed1');
const MiB = 1024 * 1024;

/** Counts requests by kind on the way to a backend. */
class Counting implements Backend {
  readonly counts: Record<string, number> = {};
  readonly location: string;
  constructor(private readonly inner: Backend) {
    this.location = inner.location;
  }
  private count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }
  get(name: string): Promise<Uint8Array> { this.count('GET'); return this.inner.get(name); }
  getRange(name: string, o: number, l: number, into?: Uint8Array): Promise<Uint8Array> { this.count('GET'); return this.inner.getRange(name, o, l, into); }
  put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> { this.count('PUT'); return this.inner.put(name, data, options); }
  head(name: string): Promise<ObjectInfo> { this.count('HEAD'); return this.inner.head(name); }
  async *list(prefix: string): AsyncIterable<ObjectInfo> { this.count('LIST'); yield* this.inner.list(prefix); }
  delete(name: string): Promise<void> { this.count('DELETE'); return this.inner.delete(name); }
  close(): Promise<void> { return this.inner.close(); }
}

function du(path: string): number {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]);
}

async function main(): Promise<void> {
  if (!rgwAvailable()) {
    console.log('sync benchmark skipped: Ceph RGW is not installed (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)');
    return;
  }
  if (!existsSync(corpus)) {
    console.log(`sync benchmark skipped: no corpus at ${corpus} (npm run bench makes it)`);
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-sync-'));
  process.env.STRATA_STATE_HOME ??= join(work, 'state-home'); // the repository's machine state goes with it, not into ~
  const server = await startRgw({ memstoreBytes: 6 * 1024 * MiB });
  try {
    const repoDir = join(work, 'repo');
    const repo = await initRepositoryAt(repoDir, 'bench', { kdf: { ...defaultKdfParams(), N: 1024 } });
    await backup(repo, { paths: [corpus] });
    const repoBytes = du(repoDir);
    const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
    const s3 = new S3Backend({ bucket: 'bench-sync', prefix: 'strata/', region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, hotClass: 'STANDARD', coldClass: 'GLACIER', credentials });
    await s3.ensureBucket();
    const remote = new Counting(s3);
    const t0 = performance.now();
    const result = await syncRepositories(repo.backend, remote);
    const syncS = (performance.now() - t0) / 1000;
    // Tier migration: every data pack to the cold class by CopyObject onto itself, as `strata tiers --apply` does.
    const moves: Move[] = [];
    for await (const info of s3.list('data/')) moves.push({ name: info.name, bytes: info.size, from: 'hot', to: 'cold', reason: 'bench', courses: [] });
    const t1 = performance.now();
    const migrated = await migrate(s3, moves);
    const migrateS = (performance.now() - t1) / 1000;
    let cold = 0;
    for await (const info of s3.list('data/')) if (info.storageClass === 'GLACIER') cold++;
    await remote.close();
    // A CA bundle set for HTTPS elsewhere makes rclone's S3 client refuse its plain-HTTP transport.
    const rcloneEnv = { ...process.env };
    delete rcloneEnv.AWS_CA_BUNDLE;
    const rclone = (source: string, dest: string): number | null => {
      if (spawnSync('sh', ['-c', 'command -v rclone']).status !== 0) return null;
      const t = performance.now();
      const r = spawnSync('rclone', ['copy', source, `:s3:${dest}`, '--s3-provider', 'Ceph', '--s3-endpoint', server.endpoint, '--s3-access-key-id', server.accessKeyId,
        '--s3-secret-access-key', server.secretAccessKey, '--s3-region', 'us-east-1', '--transfers', '4', '--checkers', '8', '--s3-no-check-bucket'], { encoding: 'utf8', env: rcloneEnv });
      if (r.status !== 0) throw new Error(`rclone failed: ${r.stderr}`);
      return (performance.now() - t) / 1000;
    };
    spawnSync('rclone', ['mkdir', ':s3:bench-rclone', '--s3-provider', 'Ceph', '--s3-endpoint', server.endpoint, '--s3-access-key-id', server.accessKeyId, '--s3-secret-access-key', server.secretAccessKey], { env: rcloneEnv });
    const rcloneRepoS = rclone(repoDir, 'bench-rclone/repo');
    const corpusBytes = du(corpus);
    const rcloneCorpusS = rclone(corpus, 'bench-rclone/corpus');
    const rate = (bytes: number, s: number | null): string => (s === null ? 'rclone not installed' : `${s.toFixed(2)} s, ${(bytes / MiB / s).toFixed(1)} MiB/s`);
    console.log(`sync of the corpus's repository (${(repoBytes / MiB).toFixed(0)} MiB, ${result.uploaded.objects} objects) to Ceph RGW on 127.0.0.1:`);
    console.log(`  strata sync:              ${rate(result.uploaded.bytes, syncS)}; requests: ${Object.entries(remote.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    console.log(`  rclone copy (same repo):  ${rate(repoBytes, rcloneRepoS)}`);
    console.log(`  tier migration to GLACIER: ${migrated.moved.objects} packs (${(migrated.moved.bytes / MiB).toFixed(0)} MiB) in ${migrateS.toFixed(2)} s, ${(migrated.moved.objects / migrateS).toFixed(1)} packs/s (one CopyObject each); ${cold} listed as GLACIER afterwards`);
    console.log(`  rclone copy (the corpus): ${rate(corpusBytes, rcloneCorpusS)} (${(corpusBytes / MiB).toFixed(0)} MiB, unencrypted, not deduplicated)`);
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
