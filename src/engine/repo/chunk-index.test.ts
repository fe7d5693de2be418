import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkIndex } from './chunk-index';

function entry(i: number) {
  return { id: new Uint8Array(randomBytes(32)), type: i % 3, compression: i % 2, offset: i * 7, length: 1000 + i, rawLength: 2000 + i };
}

describe('ChunkIndex', () => {
  it('finds every entry it holds and nothing else, across growth', () => {
    const index = new ChunkIndex(16);
    const entries = Array.from({ length: 20_000 }, (_, i) => entry(i));
    entries.forEach((e, i) => expect(index.add(`pack${i % 37}`, e)).toBe(true));
    expect(index.size).toBe(entries.length);
    entries.forEach((e, i) => {
      const found = index.get(e.id);
      expect(found?.pack).toBe(`pack${i % 37}`);
      expect(found?.offset).toBe(e.offset);
      expect(found?.length).toBe(e.length);
      expect(found?.rawLength).toBe(e.rawLength);
      expect(found?.type).toBe(e.type);
      expect(found?.compression).toBe(e.compression);
    });
    for (let i = 0; i < 1000; i++) expect(index.has(new Uint8Array(randomBytes(32)))).toBe(false);
  });

  it('keeps the first location of a blob added twice', () => {
    const index = new ChunkIndex();
    const e = entry(1);
    expect(index.add('first', e)).toBe(true);
    expect(index.add('second', { ...e, offset: 99 })).toBe(false);
    expect(index.get(e.id)?.pack).toBe('first');
    expect(index.size).toBe(1);
  });

  it('stays compact: under 100 bytes per indexed blob at scale', () => {
    const index = new ChunkIndex();
    for (let i = 0; i < 200_000; i++) index.add('p', entry(i));
    expect(index.byteSize / index.size).toBeLessThan(100);
  });
});
