// Finding things by the names users give them (versions/lookup.ts, over fs/paths.ts): a path is
// in a tracked folder when it lies below it, whatever its names look like (a
// folder named "..drafts" is inside; ".." is not).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { log } from '../../src/engine/ops/history';
import { initRepository, openSession } from '../../src/engine/ops/repository';
import { isAtOrBelow, isBelow } from '../../src/engine/fs/paths';
import { fastKdf, tempDirPerTest, writeSettled } from '../helpers';

const dir = tempDirPerTest('strata-lookup-');

describe('isBelow and isAtOrBelow', () => {
  it('is strictly below, by path parts', () => {
    expect(isBelow('/c/a.md', '/c')).toBe(true);
    expect(isBelow('/c/..drafts/a.md', '/c')).toBe(true);
    expect(isBelow('/c/...', '/c')).toBe(true);
    expect(isBelow('/c', '/c')).toBe(false);
    expect(isBelow('/', '/c')).toBe(false);
    expect(isBelow('/c2/a.md', '/c')).toBe(false);
    expect(isBelow('/..c/a.md', '/c')).toBe(false);
  });

  it('isAtOrBelow also takes the folder itself, and the same two-dot names', () => {
    expect(isAtOrBelow('/c', '/c')).toBe(true);
    expect(isAtOrBelow('/c/..drafts', '/c')).toBe(true);
    expect(isAtOrBelow('/', '/c')).toBe(false);
    expect(isAtOrBelow('/c2', '/c')).toBe(false);
  });
});

describe('a file in a folder whose name starts with two dots', () => {
  it('is found in its tracked folder', async () => {
    const repoDir = join(dir.path, 'repo');
    const course = join(dir.path, 'course');
    await writeSettled(join(course, '..drafts', 'a.md'), 'draft\n');
    await initRepository(repoDir, 'pw', { kdf: fastKdf() });
    const s = await openSession(repoDir, 'pw');
    try {
      await addFolder(s, course);
      await scan(s);
      const entries = await log(s, join(course, '..drafts', 'a.md'));
      expect(entries.map((e) => [e.folder, e.record.path, e.record.n])).toEqual([['course', '..drafts/a.md', 1]]);
    } finally {
      await s.close();
    }
  });
});
