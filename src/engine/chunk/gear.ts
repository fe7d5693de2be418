// The keyed gear table of the content-defined chunker: 256 pseudo-random
// 32-bit values derived from the repository's chunker secret.
//
// Why keyed: with a public table, the sequence of chunk sizes alone identifies
// known files to anyone who sees object sizes; a secret table makes boundaries
// unpredictable without the key.
//
// Derivation (part of the repository format; changing it changes every
// boundary and so defeats deduplication against existing data):
//
//   for c in 0..31:
//     block_c = HMAC-SHA256(key = secret, msg = ASCII("strata gear v1") || uint32_be(c))
//   table[8*c + k] = uint32_le(block_c[4k .. 4k+4])   for k in 0..7
//
// `secret` is exactly 32 bytes. The message is the 14 ASCII bytes of the label
// followed by the 4-byte big-endian counter (18 bytes, no separator).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

export const GEAR_SECRET_LENGTH = 32;
const GEAR_LABEL = new TextEncoder().encode('strata gear v1');
const GEAR_ENTRIES = 256;
const ENTRIES_PER_BLOCK = 8; // one SHA-256 output = 8 little-endian uint32

export function gearTable(secret: Uint8Array): Uint32Array {
  if (!(secret instanceof Uint8Array) || secret.length !== GEAR_SECRET_LENGTH) {
    throw new TypeError(`gear secret must be a ${GEAR_SECRET_LENGTH}-byte Uint8Array`);
  }
  const table = new Uint32Array(GEAR_ENTRIES);
  const message = new Uint8Array(GEAR_LABEL.length + 4);
  message.set(GEAR_LABEL, 0);
  const counterView = new DataView(message.buffer, GEAR_LABEL.length, 4);
  for (let block = 0; block < GEAR_ENTRIES / ENTRIES_PER_BLOCK; block++) {
    counterView.setUint32(0, block, false);
    const mac = hmac(sha256, secret, message);
    const macView = new DataView(mac.buffer, mac.byteOffset, mac.byteLength);
    for (let k = 0; k < ENTRIES_PER_BLOCK; k++) {
      table[block * ENTRIES_PER_BLOCK + k] = macView.getUint32(4 * k, true);
    }
  }
  return table;
}
