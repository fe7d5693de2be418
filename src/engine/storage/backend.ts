// The one storage contract every backend (local directory, memory, S3) meets,
// and every wrapper (retry, throttle, faults, tier routing) preserves.
//
// Guarantees a Backend must give (the repository relies on each):
// - Atomic puts: a reader sees either no object or the whole object, never a
//   prefix. A put that fails or is interrupted leaves no object under `name`.
// - Read-after-write: once put() resolves, get/head/list see the object.
// - Durability: once put() resolves the object survives a crash of this process
//   and (for the local backend) of the machine (fsync of file and directory).
// - Objects are immutable by convention: the repository never rewrites a name
//   with different bytes (names are content hashes or random). Re-putting the
//   same bytes is allowed and harmless; `ifNotExists` makes a put exclusive.
// - Names are '/'-separated relative paths of [A-Za-z0-9._-] segments; no
//   empty, '.' or '..' segment. Backends reject anything else (InvalidNameError).
// - list(prefix) yields every object whose name starts with prefix, in no
//   particular order; objects put before the listing started are included.
//   It also yields files other programs put there, whatever their names (a
//   `.DS_Store`, `x~`), so the repository can name them (repo/listing.ts
//   decides what is an object); a backend hides only its own unfinished puts.
// - Missing objects raise NotFoundError (never a generic error), so callers can
//   tell "absent" from "unreachable".

/** Where an object should live. Backends without tiers accept and ignore it. */
export type Tier = 'hot' | 'cold';

export interface PutOptions {
  /** Storage tier / class for the object; default 'hot'. */
  tier?: Tier;
  /** Fail with AlreadyExistsError instead of replacing an existing object. */
  ifNotExists?: boolean;
}

export interface ObjectInfo {
  name: string;
  size: number;
  /** The tier the backend reports for the object, when it knows. */
  tier?: Tier;
  /** The storage class, where the backend has them (S3). */
  storageClass?: string;
}

export interface Backend {
  /** Human-readable location, for messages (a path or URL; never secrets). */
  readonly location: string;
  get(name: string): Promise<Uint8Array>;
  /**
   * Bytes [offset, offset+length) of the object; RangeError past its end.
   * `into`, if given, is memory of at least `length` bytes the caller lends:
   * a backend may read into it (saving an allocation) and return a view of
   * its start. Callers use the returned array either way.
   */
  getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  put(name: string, data: Uint8Array, options?: PutOptions): Promise<void>;
  head(name: string): Promise<ObjectInfo>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deleting a missing object raises NotFoundError. */
  delete(name: string): Promise<void>;
  /** Releases connections or handles; the backend is unusable afterwards. */
  close(): Promise<void>;
  /**
   * Moves an object to another tier (a storage class change, or a move
   * between places), keeping its bytes. Absent when the backend has one tier.
   * May raise FrozenError when the object must be thawed first.
   */
  setTier?(name: string, tier: Tier): Promise<void>;
  /** Where an object of an archive class stands; absent where reads never wait. */
  thawState?(name: string): Promise<ThawState>;
  /** Asks that an archived object be made readable for `days` days. */
  requestThaw?(name: string, days: number): Promise<void>;
}

/**
 * An object in an archive class (S3 GLACIER, DEEP_ARCHIVE) is readable only
 * after a restore request has completed ("thawed"), hours later.
 */
export type ThawState =
  | { state: 'ready' }
  | { state: 'frozen'; storageClass: string }
  | { state: 'thawing'; storageClass: string; /** Best estimate of when it becomes readable. */ readyAt?: Date };

/** The tier-control methods a wrapper forwards to the backend it wraps, where that backend has them. */
export function forwardTierControl(inner: Backend, wrap: <T>(operation: string, name: string, run: () => Promise<T>) => Promise<T> = (_o, _n, run) => run()): Pick<Backend, 'setTier' | 'thawState' | 'requestThaw'> {
  return {
    ...(inner.setTier ? { setTier: (name: string, tier: Tier) => wrap('setTier', name, () => (inner.setTier as NonNullable<Backend['setTier']>).call(inner, name, tier)) } : {}),
    ...(inner.thawState ? { thawState: (name: string) => wrap('thawState', name, () => (inner.thawState as NonNullable<Backend['thawState']>).call(inner, name)) } : {}),
    ...(inner.requestThaw ? { requestThaw: (name: string, days: number) => wrap('requestThaw', name, () => (inner.requestThaw as NonNullable<Backend['requestThaw']>).call(inner, name, days)) } : {}),
  };
}

/** Base of the sentinel errors; `code` is stable and safe to switch on. */
export class StorageError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID_NAME' | 'UNAVAILABLE' | 'NO_SPACE' | 'FROZEN' | 'REFUSED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StorageError {
  constructor(readonly objectName: string, location?: string) {
    super('NOT_FOUND', `object not found: ${objectName}${location ? ` in ${location}` : ''}`);
  }
}

export class AlreadyExistsError extends StorageError {
  constructor(readonly objectName: string) {
    super('ALREADY_EXISTS', `object already exists: ${objectName}`);
  }
}

export class InvalidNameError extends StorageError {
  constructor(readonly objectName: string) {
    super('INVALID_NAME', `invalid object name: ${JSON.stringify(objectName)}`);
  }
}

/** A transient failure (network, server busy, injected fault); retry may help. */
export class UnavailableError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** The device or bucket is full; retrying does not help. */
export class NoSpaceError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NO_SPACE', message, options);
  }
}

/** The server refused the request for good (a 4xx that retrying cannot change): not retried. */
export class RefusedError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REFUSED', message, options);
  }
}

/** The object is in an archive class and must be thawed (requestThaw) before it can be read. */
export class FrozenError extends StorageError {
  constructor(readonly objectName: string, readonly storageClass: string, location?: string) {
    super('FROZEN', `${objectName}${location ? ` in ${location}` : ''} is archived (${storageClass}): it must be restored before it can be read`);
  }
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Throws InvalidNameError unless `name` is a valid object name. */
export function assertValidName(name: string): void {
  if (name.length === 0 || name.length > 512) throw new InvalidNameError(name);
  for (const segment of name.split('/')) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') throw new InvalidNameError(name);
  }
}

/** True when `prefix` is a valid list prefix: empty, or a name optionally ending in '/'. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidName(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
