// The repository config object: how this repository was written (algorithm
// names and parameters), so a reader knows how to read it. Stored encrypted
// under the name `config`; created once by init and never changed.

import type { ChunkerParams } from '../chunk/fastcdc';
import { validateChunkerParams } from '../chunk/fastcdc';
import { FORMAT_VERSION } from './format';

export interface RepoConfig {
  version: typeof FORMAT_VERSION;
  /** Random repository id (64 hex digits). */
  id: string;
  created: string;
  chunker: ChunkerParams;
  /** Keyed content id of a blob's plaintext. */
  contentId: 'hmac-sha256';
  /** AEAD of every stored object and blob. */
  cipher: 'xchacha20-poly1305';
  /** Compression algorithms a blob may use (code 0 = none, 1 = brotli). */
  compression: Array<'none' | 'brotli'>;
  /** Target size of a pack in bytes. */
  packSize: number;
}

export function validateConfig(value: unknown): RepoConfig {
  const fail = (why: string): never => {
    throw new Error(`invalid repository config: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const c = value as Record<string, unknown>;
  if (c.version !== FORMAT_VERSION) fail(`unsupported format version ${String(c.version)} (this Strata reads version ${FORMAT_VERSION})`);
  if (typeof c.id !== 'string' || !/^[0-9a-f]{64}$/.test(c.id)) fail('bad id');
  if (typeof c.created !== 'string') fail('bad created');
  if (c.contentId !== 'hmac-sha256') fail(`unknown content id algorithm ${String(c.contentId)}`);
  if (c.cipher !== 'xchacha20-poly1305') fail(`unknown cipher ${String(c.cipher)}`);
  if (!Array.isArray(c.compression) || !c.compression.every((a) => a === 'none' || a === 'brotli')) fail('unknown compression algorithm in config');
  if (typeof c.packSize !== 'number' || c.packSize < 1024 * 1024 || c.packSize > 1024 * 1024 * 1024) fail('bad packSize');
  return {
    version: FORMAT_VERSION,
    id: c.id as string,
    created: c.created as string,
    chunker: validateChunkerParams(c.chunker),
    contentId: 'hmac-sha256',
    cipher: 'xchacha20-poly1305',
    compression: c.compression as Array<'none' | 'brotli'>,
    packSize: c.packSize as number,
  };
}
