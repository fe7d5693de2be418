// The plain SHA-256 of some bytes in hex: how versions name their content
// (record.sha256) and how packs are named.

import { createHash } from 'node:crypto';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
