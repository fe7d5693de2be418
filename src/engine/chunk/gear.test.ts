import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gearTable } from './gear';

/** The derivation documented in gear.ts, written independently with node:crypto. */
function documentedTable(secret: Uint8Array): Uint32Array {
  const table = new Uint32Array(256);
  for (let c = 0; c < 32; c++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(c);
    const block = createHmac('sha256', secret).update(Buffer.concat([Buffer.from('strata gear v1', 'ascii'), counter])).digest();
    for (let k = 0; k < 8; k++) table[8 * c + k] = block.readUInt32LE(4 * k);
  }
  return table;
}

describe('gearTable', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);

  it('follows the documented derivation exactly', () => {
    expect(gearTable(secret)).toEqual(documentedTable(secret));
  });

  it('matches pinned values for an all-zero secret (computed with Python hmac)', () => {
    const table = gearTable(new Uint8Array(32));
    expect(table.length).toBe(256);
    expect([table[0], table[1], table[2], table[255]]).toEqual([0xa28fdacd, 0xd7450df5, 0x90be6a25, 0x413ce721]);
  });

  it('is deterministic and depends on the secret', () => {
    expect(gearTable(secret)).toEqual(gearTable(secret.slice()));
    const other = secret.slice();
    other[31] = other[31]! ^ 1;
    const a = gearTable(secret);
    const b = gearTable(other);
    let equal = 0;
    for (let i = 0; i < 256; i++) if (a[i] === b[i]) equal++;
    expect(equal).toBeLessThan(2);
  });

  it('has well-mixed entries (no duplicates, balanced bits)', () => {
    const table = gearTable(secret);
    expect(new Set(table).size).toBe(256);
    for (let bit = 0; bit < 32; bit++) {
      let ones = 0;
      for (const v of table) ones += (v >>> bit) & 1;
      expect(ones).toBeGreaterThan(90); // binomial(256, 1/2): mean 128, sd 8
      expect(ones).toBeLessThan(166);
    }
  });

  it('rejects secrets that are not 32 bytes', () => {
    expect(() => gearTable(new Uint8Array(16))).toThrow(/32-byte/);
    expect(() => gearTable(new Uint8Array(33))).toThrow(/32-byte/);
  });
});
