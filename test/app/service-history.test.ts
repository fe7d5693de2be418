// The app API over the real engine: a file's versions, comparisons (text
// with word marks and attribution, images as data: URLs, other binaries),
// rollback, restoring elsewhere, tags, and the course at a moment.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageType } from '../../src/engine/service/compare';
import { seededBytes, tempDirPerTest, writeSettled } from '../helpers';
import { realService, rejection } from './fakes';

const tmp = tempDirPerTest('strata-app-history-');

async function course(files: Record<string, string | Uint8Array>) {
  const real = await realService(tmp.path);
  const folder = join(tmp.path, 'Course');
  for (const [path, content] of Object.entries(files)) await writeSettled(join(folder, ...path.split('/')), content);
  await real.service['settings.setAuthor']({ author: 'Ada' });
  const added = await real.service['courses.add']({ path: folder });
  return { ...real, folder, id: added.id };
}

/** A PNG as far as magic bytes go: signature, IHDR with the size, then some bytes. */
function png(width: number, height: number, seed: number): Uint8Array {
  const head = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head, 0);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'latin1');
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(height, 20);
  head[24] = 8;
  head[25] = 6;
  return new Uint8Array(Buffer.concat([head, Buffer.from(seededBytes(seed, 2000))]));
}

describe('files.versions and files.compare', () => {
  it('compares text versions line by line, with word marks and who wrote what', async () => {
    const { service, folder } = await course({ 'notes.md': 'line one\nline two\nline three\n' });
    await service['settings.setAuthor']({ author: 'Bob' });
    await writeSettled(join(folder, 'notes.md'), 'line one\nline 2 changed\nline three\nline four\n');
    expect(await service['courses.scan']()).toEqual({ versions: 1 });

    const versions = await service['files.versions']({ course: 'Course', path: 'notes.md' });
    expect(versions.map((v) => [v.n, v.op, v.author, v.kind])).toEqual([[1, 'add', 'Ada', 'text'], [2, 'edit', 'Bob', 'text']]);
    expect(versions[1]).toMatchObject({ path: 'notes.md', size: 45, key: `${versions[1]?.file}@2`, device: versions[0]?.device });

    const c = await service['files.compare']({ course: 'Course', path: 'notes.md', a: 1, b: 2 });
    if (c.kind !== 'text') throw new Error(`expected text, got ${c.kind}`);
    expect([c.added, c.removed]).toEqual([2, 1]);
    expect(c.from).toMatchObject({ n: 1, size: 29 });
    expect(c.to).toMatchObject({ n: 2, size: 45 });
    expect(c.lines.map((l) => [l.kind, l.left, l.right, l.text])).toEqual([
      ['same', 1, 1, 'line one'],
      ['removed', 2, undefined, 'line two'],
      ['added', undefined, 2, 'line 2 changed'],
      ['same', 3, 3, 'line three'],
      ['added', undefined, 4, 'line four'],
    ]);
    const [, removed, changed, , appended] = c.lines;
    expect(removed?.marks?.map(([s, e]) => removed.text.slice(s, e))).toEqual(['two']);
    expect(changed?.marks?.map(([s, e]) => changed.text.slice(s, e))).toEqual(['2 changed']);
    expect(appended?.marks).toBeUndefined(); // a whole new line: nothing to mark inside it
    expect(changed?.by).toEqual({ n: 2, author: 'Bob' });
    expect(appended?.by).toEqual({ n: 2, author: 'Bob' });
    expect(c.lines[0]?.by).toBeUndefined();

    // b absent: the file on disk now (unrecorded changes have no author yet).
    await writeFile(join(folder, 'notes.md'), 'line one\nline 2 changed\nline three\nline four\nline five\n');
    const disk = await service['files.compare']({ course: 'Course', path: 'notes.md', a: 2 });
    if (disk.kind !== 'text') throw new Error('expected text');
    expect(disk.to.n).toBeUndefined();
    expect(disk.to.label).toContain('on disk');
    expect(disk.lines.filter((l) => l.kind === 'added')).toEqual([{ kind: 'added', right: 5, text: 'line five' }]);
  });

  it('shows images as data: URLs, and other binaries by size, type and chunks', async () => {
    const big = seededBytes(3, 3 * 1024 * 1024);
    const { service, folder } = await course({ 'img/photo.png': png(640, 480, 1), 'video.bin': big });
    await writeSettled(join(folder, 'img', 'photo.png'), png(800, 600, 2));
    const edited = new Uint8Array(big);
    edited.set(seededBytes(4, 64 * 1024), big.length - 64 * 1024);
    await writeSettled(join(folder, 'video.bin'), edited);
    expect(await service['courses.scan']()).toEqual({ versions: 2 });

    const image = await service['files.compare']({ course: 'Course', path: 'img/photo.png', a: 1, b: 2 });
    if (image.kind !== 'image') throw new Error(`expected image, got ${image.kind}`);
    expect(image.from.image?.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from((image.from.image as string).split(',')[1] as string, 'base64')).toEqual(Buffer.from(png(640, 480, 1)));
    expect(Buffer.from((image.to.image as string).split(',')[1] as string, 'base64')).toEqual(Buffer.from(png(800, 600, 2)));
    expect(image.from.dimensions).toEqual({ width: 640, height: 480 });
    expect(image.to).toMatchObject({ n: 2, type: 'image/png', dimensions: { width: 800, height: 600 } });
    // Against the disk too.
    const onDisk = await service['files.compare']({ course: 'Course', path: 'img/photo.png', a: 1 });
    expect(onDisk.kind === 'image' && onDisk.to.image === image.to.image).toBe(true);

    const binary = await service['files.compare']({ course: 'Course', path: 'video.bin', a: 1, b: 2 });
    if (binary.kind !== 'binary') throw new Error(`expected binary, got ${binary.kind}`);
    expect(binary.chunks).toBeGreaterThan(4);
    expect(binary.chunksChanged).toBeGreaterThanOrEqual(1);
    expect(binary.chunksChanged).toBeLessThan(binary.chunks as number);
    expect(binary.summary).toContain(`${binary.chunksChanged} of ${binary.chunks} chunks changed`);
    expect(binary.from.sha256).not.toBe(binary.to.sha256);
  });

  it('tells WebP images by their bytes', () => {
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.write('WEBP', 8, 'latin1');
    webp.write('VP8X', 12, 'latin1');
    webp.writeUIntLE(99, 24, 3);
    webp.writeUIntLE(49, 27, 3);
    expect(imageType(webp)).toEqual({ type: 'image/webp', width: 100, height: 50 });
    expect(imageType(png(3, 4, 1))).toEqual({ type: 'image/png', width: 3, height: 4 });
    expect(imageType(seededBytes(9, 100))).toBeUndefined();
  });

  it('refuses unknown versions and bad numbers', async () => {
    const { service } = await course({ 'a.txt': 'a\n' });
    const e1 = await rejection(service['files.compare']({ course: 'Course', path: 'a.txt', a: 9 }));
    expect([e1.code, e1.field]).toEqual(['NOT_FOUND', 'a']);
    const e2 = await rejection(service['files.compare']({ course: 'Course', path: 'a.txt', a: 1, b: 0 }));
    expect([e2.code, e2.field]).toEqual(['INVALID_ARGUMENT', 'b']);
    const e3 = await rejection(service['files.rollback']({ course: 'Course', path: 'a.txt', n: 2 }));
    expect([e3.code, e3.field]).toEqual(['NOT_FOUND', 'n']);
    const e4 = await rejection(service['files.tag']({ course: 'Course', path: 'a.txt', n: 1, tag: '  ' }));
    expect([e4.code, e4.field]).toEqual(['INVALID_ARGUMENT', 'tag']);
  });
});

describe('putting versions back', () => {
  it('rolls a file back on disk, as a new version', async () => {
    const { service, folder, eventsOf } = await course({ 'essay.txt': 'first draft\n' });
    await writeSettled(join(folder, 'essay.txt'), 'second draft\n');
    await service['courses.scan']();
    const summary = await service['files.rollback']({ course: 'Course', path: 'essay.txt', n: 1 });
    expect(summary).toEqual({ written: ['essay.txt'], removed: [], versions: 1, target: folder });
    expect(await readFile(join(folder, 'essay.txt'), 'utf8')).toBe('first draft\n');
    const versions = await service['files.versions']({ course: 'Course', path: 'essay.txt' });
    expect(versions.map((v) => v.op)).toEqual(['add', 'edit', 'rollback']);
    expect(versions[2]?.sha256).toBe(versions[0]?.sha256);
    expect(eventsOf('activity').at(-1)).toMatchObject({ kind: 'rollback', title: 'essay.txt rolled back to version 1' });
    expect(eventsOf('catalog.changed').at(-1)).toEqual({ versions: 1 });
  });

  it('restores a version elsewhere without touching the course', async () => {
    const { service, folder, repoPath } = await course({ 'docs/essay.txt': 'first draft\n' });
    await writeSettled(join(folder, 'docs', 'essay.txt'), 'second draft\n');
    await service['courses.scan']();
    const target = join(tmp.path, 'out');
    const summary = await service['files.restoreTo']({ course: 'Course', path: 'docs/essay.txt', n: 1, target });
    expect(summary).toEqual({ written: ['essay.txt'], removed: [], versions: 0, target });
    expect(await readFile(join(target, 'essay.txt'), 'utf8')).toBe('first draft\n');
    expect(await readFile(join(folder, 'docs', 'essay.txt'), 'utf8')).toBe('second draft\n');
    expect((await service['files.versions']({ course: 'Course', path: 'docs/essay.txt' })).length).toBe(2);
    const inside = await rejection(service['files.restoreTo']({ course: 'Course', path: 'docs/essay.txt', n: 1, target: join(repoPath, 'x') }));
    expect([inside.code, inside.field]).toEqual(['INVALID_ARGUMENT', 'target']);
  });

  it('tags a version', async () => {
    const { service } = await course({ 'a.txt': 'a\n' });
    const tagged = await service['files.tag']({ course: 'Course', path: 'a.txt', n: 1, tag: 'submitted' });
    expect(tagged).toMatchObject({ n: 1, path: 'a.txt', tags: ['submitted'] });
    expect((await service['files.versions']({ course: 'Course', path: 'a.txt' }))[0]?.tags).toEqual(['submitted']);
  });
});

describe('the course at a moment', () => {
  async function timeline() {
    const real = await course({ 'a.txt': 'alpha\n', 'b.txt': 'beta\n', 'sub/c.txt': 'gamma\n' });
    await new Promise((r) => setTimeout(r, 20));
    const at = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await rm(join(real.folder, 'b.txt'));
    await writeSettled(join(real.folder, 'a.txt'), 'alpha, edited\n');
    await writeSettled(join(real.folder, 'd.txt'), 'delta\n');
    expect(await real.service['courses.scan']()).toEqual({ versions: 3 });
    return { ...real, at };
  }

  it('lists the files as they were, deleted ones included', async () => {
    const { service, at } = await timeline();
    const then = await service['history.at']({ course: 'Course', at });
    expect(then.map((e) => [e.path, e.n, e.goneNow])).toEqual([['a.txt', 1, false], ['b.txt', 1, true], ['sub/c.txt', 1, false]]);
    expect(then[1]?.size).toBe(5);
    const now = await service['history.at']({ course: 'Course', at: new Date().toISOString() });
    expect(now.map((e) => [e.path, e.n])).toEqual([['a.txt', 2], ['d.txt', 1], ['sub/c.txt', 1]]);
    const bad = await rejection(service['history.at']({ course: 'Course', at: 'yesterday-ish' }));
    expect([bad.code, bad.field]).toEqual(['INVALID_ARGUMENT', 'at']);
  });

  it('restores some paths elsewhere, keeping their course-relative paths', async () => {
    const { service, folder, at } = await timeline();
    const target = join(tmp.path, 'then');
    const summary = await service['history.restore']({ course: 'Course', at, paths: ['b.txt', 'sub'], target });
    expect(summary).toEqual({ written: ['b.txt', 'sub/c.txt'], removed: [], versions: 0, target });
    expect(await readFile(join(target, 'b.txt'), 'utf8')).toBe('beta\n');
    expect(await readFile(join(target, 'sub', 'c.txt'), 'utf8')).toBe('gamma\n');
    expect(existsSync(join(target, 'a.txt'))).toBe(false);
    expect(existsSync(join(folder, 'b.txt'))).toBe(false); // the course is untouched
    const missing = await rejection(service['history.restore']({ course: 'Course', at, paths: ['d.txt'], target }));
    expect([missing.code, missing.field]).toEqual(['NOT_FOUND', 'paths']);
  });

  it('restores the whole course in place, recorded as new versions', async () => {
    const { service, folder, at, eventsOf } = await timeline();
    const summary = await service['history.restore']({ course: 'Course', at });
    expect(summary.written.sort()).toEqual(['a.txt', 'b.txt']);
    expect(summary.removed).toEqual(['d.txt']);
    expect(summary.versions).toBe(3);
    expect(summary.target).toBe(folder);
    expect(await readFile(join(folder, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(await readFile(join(folder, 'b.txt'), 'utf8')).toBe('beta\n');
    expect(existsSync(join(folder, 'd.txt'))).toBe(false);
    expect((await service['files.versions']({ course: 'Course', path: 'b.txt' })).map((v) => v.op)).toEqual(['add', 'delete', 'restore']);
    expect((await service['files.list']({ course: 'Course' })).map((f) => [f.path, f.deleted])).toEqual([['a.txt', false], ['b.txt', false], ['d.txt', true], ['sub/c.txt', false]]);
    expect(eventsOf('activity').at(-1)).toMatchObject({ kind: 'restore' });
    expect(eventsOf('operation.progress').filter((p) => p.operation === 'restore').at(-1)?.phase).toBe('finished');
  });

  it('restores one path in place', async () => {
    const { service, folder, at } = await timeline();
    const summary = await service['history.restore']({ course: 'Course', at, paths: ['b.txt'] });
    expect(summary).toEqual({ written: ['b.txt'], removed: [], versions: 1, target: folder });
    expect(await readFile(join(folder, 'a.txt'), 'utf8')).toBe('alpha, edited\n'); // not asked for
    expect(existsSync(join(folder, 'd.txt'))).toBe(true);
  });
});
