// Remote locations: from the URLs a user gives (`file:///path`, `s3://...`)
// to a backend, with retries and the two tiers wired in. Remotes are named and
// kept in this machine's local state (their URLs name local paths and
// endpoints; credentials come from the SDK's chain, never from here).

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors';
import type { Backend } from '../storage/backend';
import { withCrashPoint } from '../storage/crash-point';
import { LocalBackend } from '../storage/local';
import { RetryingBackend } from '../storage/retry';
import { parseS3Url, S3Backend } from '../storage/s3';
import { TieredBackend } from '../storage/tiered';

export interface RemoteConfig {
  name: string;
  hot: string;
  cold?: string;
}

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a URL (and normalises a file URL or path to `file:///abs`); a clear error otherwise. */
export function normaliseLocation(url: string): string {
  if (url.startsWith('s3://')) {
    try {
      parseS3Url(url);
    } catch (error) {
      throw new EngineError('INVALID_ARGUMENT', `bad remote URL: ${(error as Error).message}`);
    }
    return url;
  }
  if (url.startsWith('file://')) return `file://${resolve(fileURLToPath(url))}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new EngineError('INVALID_ARGUMENT', `unsupported remote URL ${JSON.stringify(url)}: use file:///path or s3://bucket/prefix?endpoint=...`);
  return `file://${resolve(url)}`;
}

export function validateRemote(remote: RemoteConfig): RemoteConfig {
  if (!REMOTE_NAME.test(remote.name)) throw new EngineError('INVALID_ARGUMENT', `remote name ${JSON.stringify(remote.name)} must be letters, digits, ".", "_" or "-" (up to 64)`);
  return { name: remote.name, hot: normaliseLocation(remote.hot), ...(remote.cold ? { cold: normaliseLocation(remote.cold) } : {}) };
}

function backendAt(url: string, create: boolean): Promise<Backend> | Backend {
  if (url.startsWith('s3://')) {
    const backend = new S3Backend(parseS3Url(url));
    return create ? backend.ensureBucket().then(() => backend) : backend;
  }
  const path = fileURLToPath(url);
  return create ? LocalBackend.create(path) : new LocalBackend(path);
}

/** The backend of a remote: both tiers behind one Backend, with retries (backoff and jitter). */
export async function openRemote(remote: RemoteConfig, options: { create?: boolean } = {}): Promise<Backend> {
  const create = options.create ?? false;
  const hot = withCrashPoint(await backendAt(remote.hot, create));
  // One S3 location holds both tiers as storage classes; otherwise the cold tier is its own place.
  const backend = remote.cold && remote.cold !== remote.hot ? new TieredBackend(hot, withCrashPoint(await backendAt(remote.cold, create))) : hot;
  return new RetryingBackend(backend);
}
