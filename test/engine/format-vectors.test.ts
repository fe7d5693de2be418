// The text-version vectors of docs/format.md (4.11), kept in
// test/fixtures/yjs-vectors.json: an independent reader applying the updates
// as the document says (a Y.Text named "content", garbage collection off,
// updates of every ancestor applied once in any order) gets these texts.
// The document prints the same vectors; this test keeps the two equal.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';

interface Vector { client?: number; base?: string; parents?: string[]; update?: string; text: string; utf16Length?: number }
type Vectors = Record<'first' | 'edit' | 'concurrent' | 'merge', Vector>;

const root = join(__dirname, '..', '..');

async function vectors(): Promise<Vectors> {
  return JSON.parse(await readFile(join(root, 'test', 'fixtures', 'yjs-vectors.json'), 'utf8')) as Vectors;
}

/** The document of a version: its update and its ancestors' (format.md 4.10, "Text versions"). */
function documentOf(v: Vectors, name: keyof Vectors, order: 'forward' | 'reverse' = 'forward'): Y.Doc {
  const names: Array<keyof Vectors> = [];
  const visit = (n: keyof Vectors): void => {
    if (names.includes(n)) return;
    for (const p of v[n].parents ?? []) visit(p as keyof Vectors);
    names.push(n);
  };
  visit(name);
  if (order === 'reverse') names.reverse();
  const doc = new Y.Doc({ gc: false });
  for (const n of names) {
    const update = v[n].update;
    if (update !== undefined) Y.applyUpdate(doc, new Uint8Array(Buffer.from(update, 'base64')));
  }
  return doc;
}

describe('format.md text-version vectors', () => {
  it('rebuild each version\'s text from update bytes', async () => {
    const v = await vectors();
    for (const name of ['first', 'edit', 'concurrent'] as const) {
      expect(documentOf(v, name).getText('content').toString()).toBe(v[name].text);
    }
  });

  it('merge two devices\' concurrent edits to the same text whatever the order of applying', async () => {
    const v = await vectors();
    for (const order of ['forward', 'reverse'] as const) {
      const text = documentOf(v, 'merge', order).getText('content');
      expect(text.toString()).toBe(v.merge.text);
      expect(text.length).toBe(v.merge.utf16Length); // positions and lengths count UTF-16 code units
    }
  });

  it('attribute each insertion to the client id of the version that made it', async () => {
    const v = await vectors();
    const doc = documentOf(v, 'merge');
    const clients = new Set<number>();
    let item = doc.getText('content')._start;
    while (item) {
      if (!item.deleted) clients.add(item.id.client);
      item = item.right;
    }
    expect([...clients].sort((a, b) => a - b)).toEqual([v.first.client, v.edit.client, v.concurrent.client]);
  });

  it('are the ones docs/format.md prints', async () => {
    const v = await vectors();
    const doc = await readFile(join(root, 'docs', 'format.md'), 'utf8');
    for (const name of ['first', 'edit', 'concurrent'] as const) expect(doc).toContain(v[name].update as string);
  });
});
