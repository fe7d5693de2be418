// A throw-away Ceph RADOS Gateway on 127.0.0.1 for tests of the S3 backend:
// one monitor, one in-memory OSD (memstore), no authentication inside the
// cluster, storage classes STANDARD_IA, GLACIER and DEEP_ARCHIVE, all state in
// one temporary folder, every daemon in the foreground so stop() ends them.
// Recipe and its reasons: ../shared/s3-test-server.md. Installed by .ci/run
// (apt-get install radosgw ceph-mon ceph-osd).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RgwServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph'];

/** Whether the Ceph binaries are installed (`apt-get install radosgw ceph-mon ceph-osd`). */
export function rgwAvailable(): boolean {
  return BINARIES.every((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`RGW test server: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRgw(options: { memstoreBytes?: number } = {}): Promise<RgwServer> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-rgw-'));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  for (const sub of ['run', 'log', 'mon/ceph-a', 'rgw']) await mkdir(join(dir, sub), { recursive: true });
  const conf = join(dir, 'ceph.conf');
  await writeFile(conf, `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
run dir = ${dir}/run
log file = ${dir}/log/$name.log
admin socket = ${dir}/run/$name.asok
osd objectstore = memstore
memstore device bytes = ${options.memstoreBytes ?? 2147483648}
osd max object name len = 1024
osd max object namespace len = 64
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
mon allow pool delete = true
[mon]
paxos propose interval = 0.05
paxos min wait = 0.01
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
rgw lc debug interval = 10
`);
  const c = ['-c', conf];
  const daemons: ChildProcess[] = [];
  const daemon = (command: string, args: string[]): void => {
    const child = spawn(command, [...c, ...args, '-f'], { stdio: 'ignore' });
    daemons.push(child);
  };
  const stop = async (): Promise<void> => {
    for (const d of daemons.reverse()) d.kill('SIGKILL');
    await Promise.all(daemons.map((d) => (d.exitCode !== null || d.signalCode !== null ? Promise.resolve() : new Promise((r) => d.once('exit', r)))));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    run('monmaptool', ['--create', '--add', 'a', `v2:127.0.0.1:${monPort}`, '--fsid', fsid, join(dir, 'monmap')]);
    run('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    daemon('ceph-mon', ['-i', 'a']);
    const osdUuid = randomUUID();
    await until('the monitor', () => spawnSync('ceph', [...c, '--connect-timeout', '2', 'mon', 'stat']).status === 0);
    const id = run('ceph', [...c, 'osd', 'new', osdUuid]).trim();
    await mkdir(join(dir, 'osd', `ceph-${id}`), { recursive: true });
    run('ceph-osd', [...c, '-i', id, '--mkfs', '--osd-uuid', osdUuid]);
    daemon('ceph-osd', ['-i', id]);
    await until('the OSD', () => /1 up/.test(spawnSync('ceph', [...c, 'osd', 'stat'], { encoding: 'utf8' }).stdout ?? ''));
    const accessKeyId = 'STRATATESTKEY';
    const secretAccessKey = 'strata-test-secret';
    run('radosgw-admin', [...c, 'user', 'create', '--uid=test', '--display-name=test', `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`]);
    for (const cls of ['STANDARD_IA', 'GLACIER', 'DEEP_ARCHIVE']) {
      run('radosgw-admin', [...c, 'zonegroup', 'placement', 'add', '--rgw-zonegroup', 'default', '--placement-id', 'default-placement', '--storage-class', cls]);
      run('radosgw-admin', [...c, 'zone', 'placement', 'add', '--rgw-zone', 'default', '--placement-id', 'default-placement', '--storage-class', cls, '--data-pool', `default.rgw.${cls.toLowerCase()}.data`]);
    }
    daemon('radosgw', ['-n', 'client.rgw.a']);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await until('the gateway', async () => {
      try {
        return (await fetch(endpoint)).status > 0;
      } catch {
        return false;
      }
    });
    return { endpoint, accessKeyId, secretAccessKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
