// Pack lanes: data blobs of different lanes never share a pack (BlobStore,
// lanes interleaved and concurrent, read back through index objects), the
// open-lane cap retires the least recently used lane, and a versions scan
// over two course folders puts each folder's media and text in packs of
// their own.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStore, MAX_OPEN_LANES } from '../../src/engine/repo/blob-store';
import { BlobType, toHex } from '../../src/engine/repo/format';
import { initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { Repository } from '../../src/engine/repo/repository';
import { MemoryBackend } from '../../src/engine/storage/memory';
import { contentClass } from '../../src/engine/files/content-class';
import { versionChunks } from '../../src/engine/versions/content';
import type { VersionRecord } from '../../src/engine/versions/records';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { content } from '../../src/engine/ops/history';
import type { Session } from '../../src/engine/ops/session';
import { sessionOf } from './sessions';
import { fastKdf, seededBytes, tempDir, writeSettled } from '../helpers';

const PASS = 'pack lanes test passphrase';
const KiB = 1024;
const MiB = 1024 * KiB;

/** Chunks of seeded random bytes, distinct across seeds. */
function chunks(seed: number, count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => seededBytes(seed * 1000 + i + 1, size));
}

/** Lanes of the packs holding `blobs` (id hex -> lane), by pack. */
function lanesByPack(repo: Repository, blobs: Map<string, string>): Map<string, Set<string>> {
  const packs = new Map<string, Set<string>>();
  for (const [hex, lane] of blobs) {
    const entry = repo.index.get(Buffer.from(hex, 'hex'));
    expect(entry, `blob ${hex} of lane ${lane} is indexed`).toBeDefined();
    if (!entry) continue;
    const lanes = packs.get(entry.pack) ?? new Set<string>();
    lanes.add(lane);
    packs.set(entry.pack, lanes);
  }
  return packs;
}

function expectOneLanePerPack(packs: Map<string, Set<string>>): void {
  for (const [pack, lanes] of packs) expect([...lanes], `pack ${pack.slice(0, 12)}`).toHaveLength(1);
}

describe('BlobStore lanes', () => {
  it('keeps interleaved lanes in packs of their own, metadata apart, all readable after flush', async () => {
    const backend = new MemoryBackend();
    const repo = await Repository.init(backend, PASS, { kdf: fastKdf(), packSize: MiB });
    const store = new BlobStore(repo);
    const lanes = new Map<string, string>(); // id hex -> lane ('' = default, 'meta' = metadata)
    const plain = new Map<string, { data: Uint8Array; type: BlobType }>();
    const note = (ids: Uint8Array[], data: Uint8Array[], lane: string, type: BlobType = BlobType.data): void => {
      ids.forEach((id, i) => {
        lanes.set(toHex(id), lane);
        plain.set(toHex(id), { data: data[i] as Uint8Array, type });
      });
    };

    // A, B, A, B one batch at a time: about 3 MiB per lane, so several full packs each.
    for (let i = 0; i < 24; i++) {
      const lane = i % 2 === 0 ? 'course-a:media' : 'course-b:media';
      const batch = chunks(i, 4, 64 * KiB);
      note(await store.saveData(batch, lane), batch, lane);
    }
    // Several lanes in flight at once (within the open-lane cap), single blobs through save(),
    // the default lane, and metadata blobs, which stay in metadata packs whatever lane is asked for.
    const saving: Array<Promise<void>> = [];
    for (let i = 0; i < 12; i++) {
      const lane = ['course-a:text', '', 'course-a:media'][i % 3] as string;
      const batch = chunks(100 + i, 3, 48 * KiB);
      saving.push(store.saveData(batch, lane).then((ids) => note(ids, batch, lane)));
      const single = seededBytes(5000 + i, 20 * KiB);
      const saved = store.save(BlobType.data, single, lane);
      note([saved.id], [single], lane);
      saving.push(saved.done);
      const tree = new TextEncoder().encode(`{"tree":${i}}`);
      const meta = store.save(BlobType.tree, tree, lane);
      note([meta.id], [tree], 'meta', BlobType.tree);
      saving.push(meta.done);
    }
    await Promise.all(saving);
    await store.flush();

    const packs = lanesByPack(repo, lanes);
    expectOneLanePerPack(packs);
    const lanesWithPacks = new Set([...packs.values()].flatMap((s) => [...s]));
    expect(lanesWithPacks).toEqual(new Set(['course-a:media', 'course-b:media', 'course-a:text', '', 'meta']));
    // Full packs, not a pack per batch: lanes cost partial packs only at their ends.
    const perLane = (lane: string): number => [...packs.values()].filter((s) => s.has(lane)).length;
    expect(perLane('course-b:media')).toBeLessThanOrEqual(4);
    expect(store.stats.packs).toBe(packs.size);

    // A fresh open reads the index objects: same packs, every blob readable.
    const again = await Repository.open(backend, PASS);
    await again.ensureIndex();
    expectOneLanePerPack(lanesByPack(again, lanes));
    for (const [hex, { data, type }] of plain) {
      expect(Buffer.from(await again.loadBlob(Buffer.from(hex, 'hex'), type)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('caps lanes with open packs: a new lane beyond the cap stores the least recently used lane', async () => {
    const repo = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf(), packSize: MiB });
    const store = new BlobStore(repo);
    const first = new Map<string, Uint8Array>();
    const save = async (lane: string, seed: number): Promise<void> => {
      const [id] = await store.saveData(chunks(seed, 1, 16 * KiB), lane);
      if (!first.has(lane)) first.set(lane, id as Uint8Array);
    };
    const indexed = (lane: string): boolean => repo.index.has(first.get(lane) as Uint8Array);
    const name = (i: number): string => `lane-${i}`;

    for (let i = 0; i < MAX_OPEN_LANES; i++) await save(name(i), i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.stats.packs).toBe(0); // nothing full, nothing over the cap: all packs still open

    await save(name(MAX_OPEN_LANES), 50); // one lane too many: lane-0, the least recently used, is stored
    await vi.waitFor(() => expect(indexed(name(0))).toBe(true));
    for (let i = 1; i <= MAX_OPEN_LANES; i++) expect(indexed(name(i)), name(i)).toBe(false);

    await save(name(1), 60); // lane-1 used again: lane-2 is now the least recently used
    await save(name(MAX_OPEN_LANES + 1), 70);
    await vi.waitFor(() => expect(indexed(name(2))).toBe(true));
    expect(indexed(name(1))).toBe(false);
    expect(store.stats.packs).toBe(2);

    // A retired lane used again opens a new pack (retiring another lane); flush stores the rest.
    await save(name(0), 80);
    await store.flush();
    for (const lane of first.keys()) expect(indexed(lane), lane).toBe(true);
    // Retired: lane-0, lane-2, lane-3 (for lane-0's return); flushed: lane-1, lane-4, lane-0 again.
    expect(store.stats.packs).toBe(6);
  });
});

describe('versions scan lanes', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let repoDir = '';

  beforeEach(async () => {
    dir = await tempDir('strata-lanes-');
    repoDir = join(dir.path, 'repo');
    // Small chunks and packs: many chunks (large files get list blobs) and several packs per lane.
    await initRepositoryAt(repoDir, PASS, {
      kdf: fastKdf(),
      packSize: MiB,
      chunker: { algorithm: 'fastcdc-2020', minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB, normalization: 2 },
    });
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  /** Writes a file with an mtime in the past, so it counts as settled. */

  /** Text of distinct words, so Yjs updates are large enough to be blobs. */
  function prose(seed: number, words: number): string {
    const bytes = seededBytes(seed, words * 2);
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(`w${(bytes[2 * i] as number) * 256 + (bytes[2 * i + 1] as number)}`);
    return `${out.join(' ')}\n`;
  }

  async function course(root: string, seed: number): Promise<void> {
    await writeSettled(join(root, 'video', 'lecture-1.mp4'), seededBytes(seed + 1, 3 * MiB + 11));
    await writeSettled(join(root, 'video', 'lecture-2.MOV'), seededBytes(seed + 2, 2 * MiB + 7));
    await writeSettled(join(root, 'figures', 'diagram.png'), seededBytes(seed + 3, 300 * KiB));
    await writeSettled(join(root, 'handout.docx'), seededBytes(seed + 4, 400 * KiB)); // binary, but a document: text lane
    for (let i = 0; i < 4; i++) await writeSettled(join(root, 'notes', `week-${i}.md`), prose(seed * 10 + i, 3000));
  }

  /** Lane of every blob a version uses: Yjs update and checkpoint blobs, or chunks. */
  async function blobLanes(session: Session, records: VersionRecord[], into: Map<string, string>): Promise<void> {
    for (const record of records) {
      if (record.op === 'delete') continue;
      if (record.yjs) {
        for (const blob of [record.yjs.blob, record.yjs.checkpoint]) if (blob) into.set(blob, `${record.folder}:text`);
        continue;
      }
      const lane = `${record.folder}:${contentClass(record.path, record.size)}`;
      for (const id of await versionChunks(session.repo, record)) into.set(toHex(id), lane);
    }
  }

  it('puts each folder\'s media and text in packs of their own, in one pass and after edits', async () => {
    const a = join(dir.path, 'course-a');
    const b = join(dir.path, 'course-b');
    await course(a, 10); // seeds far apart: no chunk is shared between the folders
    await course(b, 20);
    const session = await sessionOf(await openRepositoryAt(repoDir, PASS), repoDir);
    const folderA = await addFolder(session, a);
    const folderB = await addFolder(session, b);
    const first = await scan(session);
    expect(first.versions).toHaveLength(16);
    expect(first.versions.filter((v) => v.yjs?.blob)).toHaveLength(8);
    expect(first.versions.filter((v) => v.contentList)).toHaveLength(4); // the videos: chunk lists, metadata packs

    // Edits: a text file grows (an update blob), a video is replaced.
    await writeSettled(join(a, 'notes', 'week-0.md'), `${await readFile(join(a, 'notes', 'week-0.md'), 'utf8')}${prose(99, 1000)}`);
    await writeSettled(join(b, 'video', 'lecture-1.mp4'), seededBytes(77, 2 * MiB));
    const second = await scan(session);
    expect(second.versions.map((v) => `${v.op} ${v.path}`).sort()).toEqual(['edit notes/week-0.md', 'edit video/lecture-1.mp4']);

    // Through index objects, as another process sees them.
    const fresh = await sessionOf(await openRepositoryAt(repoDir, PASS), repoDir);
    await fresh.repo.ensureIndex();
    const records = (await fresh.versions()).history.allFiles().flatMap((f) => f.versions);
    const blobs = new Map<string, string>();
    await blobLanes(fresh, records, blobs);
    const packs = lanesByPack(fresh.repo, blobs);
    expectOneLanePerPack(packs);
    const lanes = new Set([...packs.values()].flatMap((s) => [...s]));
    expect(lanes).toEqual(new Set([`${folderA.id}:media`, `${folderA.id}:text`, `${folderB.id}:media`, `${folderB.id}:text`]));
    // Media lanes hold several full packs; no pack holds metadata and data together.
    expect([...packs.values()].filter((s) => s.has(`${folderA.id}:media`)).length).toBeGreaterThanOrEqual(4);
    for (const record of records.filter((v) => v.contentList)) {
      const list = fresh.repo.index.get(Buffer.from(record.contentList as string, 'hex'));
      expect(packs.has(list?.pack as string), `list blob of ${record.path} is in a data pack`).toBe(false);
    }

    // Every version reads back byte for byte.
    for (const record of records) {
      const pieces: Buffer[] = [];
      for await (const piece of content(fresh, record)) pieces.push(Buffer.from(piece));
      expect(createHashHex(Buffer.concat(pieces)), `${record.path}@${record.n}`).toBe(record.sha256);
    }
  });
});

function createHashHex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
