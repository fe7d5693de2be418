// The S3 backend: the storage contract over any S3-compatible object store
// (AWS S3, Ceph RGW, MinIO, R2, ...) with the AWS SDK v3, which lives only in
// this module. A tier is a storage class: puts go to the hot or the cold
// class configured for this location, and head/list report which tier an
// object's class belongs to. Exclusive puts use If-None-Match: *.
//
// Location URLs: s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path-style=true
//   &storage-class=CLASS (the class of puts without a tier, default STANDARD)
//   &cold-class=CLASS (the class of cold puts, default GLACIER).
// Credentials come from the SDK's usual chain (environment, profile, ...).

// The SDK is loaded when the first request is made, not when this module is:
// most commands never talk to S3, and loading it costs a few hundred ms.
import type { CopyObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  AlreadyExistsError,
  FrozenError,
  assertValidName,
  assertValidPrefix,
  NoSpaceError,
  NotFoundError,
  RefusedError,
  StorageError,
  UnavailableError,
  type Backend,
  type ObjectInfo,
  type PutOptions,
  type ThawState,
  type Tier,
} from './backend';

export interface S3Config {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Storage classes of the two tiers. */
  hotClass: string;
  coldClass: string;
  /** Explicit credentials (tests); otherwise the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * A request fails (retryably) once its connection has been idle this long,
   * waiting for the server or mid-transfer; default 60 s. An idle limit rather
   * than a deadline, so a large pack on a slow but moving link still completes.
   */
  timeoutMs?: number;
  /** Connecting to the endpoint may take this long; default 10 s. */
  connectTimeoutMs?: number;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const STORAGE_CLASS = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Parses an `s3://bucket/prefix?...` location (see the module comment). */
export function parseS3Url(url: string): S3Config {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 's3:') throw new RangeError(`not an s3:// URL: ${JSON.stringify(url)}`);
  const bucket = u.hostname;
  if (!BUCKET.test(bucket)) throw new RangeError(`bad bucket name ${JSON.stringify(bucket)} in ${url}`);
  const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  if (path !== '') assertValidName(path);
  const known = new Set(['endpoint', 'region', 'path-style', 'storage-class', 'cold-class']);
  for (const key of u.searchParams.keys()) if (!known.has(key)) throw new RangeError(`unknown option ${JSON.stringify(key)} in ${url} (known: ${[...known].join(', ')})`);
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) throw new RangeError(`endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  const hotClass = u.searchParams.get('storage-class') ?? 'STANDARD';
  const coldClass = u.searchParams.get('cold-class') ?? 'GLACIER';
  for (const c of [hotClass, coldClass]) if (!STORAGE_CLASS.test(c)) throw new RangeError(`bad storage class ${JSON.stringify(c)}`);
  const pathStyle = u.searchParams.get('path-style');
  return {
    bucket,
    prefix: path === '' ? '' : `${path}/`,
    region: u.searchParams.get('region') ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    // Custom endpoints (RGW, MinIO) usually need path-style addressing.
    forcePathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === 'true',
    hotClass,
    coldClass,
  };
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Sdk | undefined;

async function loadSdk(): Promise<Sdk> {
  sdk ??= await import('@aws-sdk/client-s3');
  return sdk;
}

/** An error the SDK raised for a response (only once the SDK is loaded can there be one). */
function isS3Error(error: unknown): error is S3ServiceException {
  return sdk !== undefined && error instanceof sdk.S3ServiceException;
}

// The SDK version is pinned (package.json) because later ones need Node 22;
// its warning about that is for developers, not for people running Strata.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export class S3Backend implements Backend {
  readonly location: string;
  private client?: Promise<{ client: S3Client; sdk: Sdk }>;
  private closed = false;
  /** Learnt from a 501 to RestoreObject: this server reads archive classes directly. */
  private archiveReadsAtOnce = false;

  constructor(private readonly config: S3Config) {
    this.location = `s3://${config.bucket}/${config.prefix}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
  }

  /** The SDK and this location's client, made on first use. */
  private session(): Promise<{ client: S3Client; sdk: Sdk }> {
    const config = this.config;
    this.client ??= loadSdk().then((sdk) => ({ sdk, client: new sdk.S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // Plain PUTs with a Content-Length: no aws-chunked streaming or trailing
      // checksums, which S3-compatible servers (RGW) refuse or store verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Retries are the RetryingBackend's job, with its own backoff and limits.
      maxAttempts: 1,
      // Without limits a server that stops answering hangs the sync forever;
      // a timed-out request fails with UnavailableError, which is retried.
      requestHandler: { connectionTimeout: config.connectTimeoutMs ?? 10_000, socketTimeout: config.timeoutMs ?? 60_000 },
    }) }));
    return this.client;
  }

  async get(name: string): Promise<Uint8Array> {
    this.assertUsable(name);
    try {
      const s3 = await this.session();
      const out = await s3.client.send(new s3.sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(name) }));
      const bytes = await bodyBytes(out.Body);
      assertWhole(bytes, out.ContentLength, name, this.location);
      return bytes;
    } catch (error) {
      throw this.mapError(error, name);
    }
  }

  async getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    this.assertUsable(name);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeError(`invalid range offset=${offset} length=${length} for ${name}`);
    }
    if (length === 0) {
      // S3 has no empty range: check the offset against the size instead.
      const { size } = await this.head(name);
      if (offset > size) throw new RangeError(`range [${offset}, ${offset}) is past the end of ${name} (${size} bytes)`);
      return new Uint8Array(0);
    }
    let bytes: Uint8Array;
    try {
      const s3 = await this.session();
      const out = await s3.client.send(new s3.sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(name), Range: `bytes=${offset}-${offset + length - 1}` }));
      bytes = await bodyBytes(out.Body, into && into.length >= length ? into : undefined);
      assertWhole(bytes, out.ContentLength, name, this.location);
    } catch (error) {
      if (isS3Error(error) && (error.$metadata.httpStatusCode === 416 || error.name === 'InvalidRange')) {
        throw new RangeError(`range [${offset}, ${offset + length}) is past the end of ${name}`, { cause: error });
      }
      throw this.mapError(error, name);
    }
    // A range running past the end comes back shorter.
    if (bytes.length !== length) throw new RangeError(`range [${offset}, ${offset + length}) is past the end of ${name} (${offset + bytes.length} bytes)`);
    return bytes;
  }

  async put(name: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    this.assertUsable(name);
    try {
      const s3 = await this.session();
      await s3.client.send(new s3.sdk.PutObjectCommand({
        Bucket: this.config.bucket,
        Key: this.key(name),
        Body: data,
        ContentLength: data.length,
        StorageClass: this.classOf(options.tier ?? 'hot') as PutObjectCommand['input']['StorageClass'],
        ...(options.ifNotExists ? { IfNoneMatch: '*' } : {}),
      }));
    } catch (error) {
      if (options.ifNotExists && isS3Error(error) && (error.$metadata.httpStatusCode === 412 || error.name === 'PreconditionFailed')) {
        throw new AlreadyExistsError(name);
      }
      throw this.mapError(error, name);
    }
  }

  async head(name: string): Promise<ObjectInfo> {
    this.assertUsable(name);
    try {
      const s3 = await this.session();
      const out = await s3.client.send(new s3.sdk.HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(name) }));
      return { name, size: out.ContentLength ?? 0, tier: this.tierOf(out.StorageClass), storageClass: out.StorageClass ?? 'STANDARD' };
    } catch (error) {
      throw this.mapError(error, name);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (this.closed) throw new StorageError('UNAVAILABLE', `${this.location} is closed`);
    assertValidPrefix(prefix);
    let token: string | undefined;
    do {
      let out;
      try {
        const s3 = await this.session();
        out = await s3.client.send(new s3.sdk.ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.config.prefix + prefix, ...(token ? { ContinuationToken: token } : {}) }));
      } catch (error) {
        throw this.mapError(error, prefix);
      }
      for (const item of out.Contents ?? []) {
        const name = (item.Key ?? '').slice(this.config.prefix.length);
        // A key ending in '/' is a "folder" some S3 consoles create, not a file; any other key is listed, object or not (backend.ts).
        if (name === '' || name.endsWith('/') || !(item.Key ?? '').startsWith(this.config.prefix)) continue;
        yield { name, size: item.Size ?? 0, tier: this.tierOf(item.StorageClass), storageClass: item.StorageClass ?? 'STANDARD' };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(name: string): Promise<void> {
    // S3 deletes are idempotent; the contract says a missing object is an error.
    await this.head(name);
    try {
      const s3 = await this.session();
      await s3.client.send(new s3.sdk.DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(name) }));
    } catch (error) {
      throw this.mapError(error, name);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // A client never made needs no closing (nor loading the SDK to close it).
    (await this.client)?.client.destroy();
  }

  /**
   * Moves an object between the tiers' storage classes: CopyObject onto
   * itself with the new class, as S3 documents it (objects up to 5 GiB; packs
   * are far smaller). An archived object must be thawed first (FrozenError).
   */
  async setTier(name: string, tier: Tier): Promise<void> {
    this.assertUsable(name);
    const storageClass = this.classOf(tier);
    try {
      const s3 = await this.session();
      await s3.client.send(new s3.sdk.CopyObjectCommand({
        Bucket: this.config.bucket,
        Key: this.key(name),
        CopySource: `${this.config.bucket}/${this.key(name).split('/').map(encodeURIComponent).join('/')}`,
        StorageClass: storageClass as CopyObjectCommand['input']['StorageClass'],
        MetadataDirective: 'COPY',
      }));
    } catch (error) {
      throw this.mapError(error, name);
    }
  }

  /**
   * Whether an object can be read now. Only archive classes need a restore;
   * HeadObject's Restore header tells a restore in progress
   * (ongoing-request="true") from a finished one.
   */
  async thawState(name: string): Promise<ThawState> {
    this.assertUsable(name);
    let out;
    try {
      const s3 = await this.session();
      out = await s3.client.send(new s3.sdk.HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(name) }));
    } catch (error) {
      throw this.mapError(error, name);
    }
    const storageClass = out.StorageClass ?? 'STANDARD';
    if (!ARCHIVE_CLASSES.has(storageClass)) return { state: 'ready' };
    return parseRestoreHeader(out.Restore, storageClass, this.archiveReadsAtOnce);
  }

  /**
   * Asks S3 to make an archived object readable for `days` days (Standard
   * retrieval: hours). Servers without archive restores (Ceph RGW answers
   * 501) read archive classes at once: then there is nothing to wait for.
   */
  async requestThaw(name: string, days: number): Promise<void> {
    this.assertUsable(name);
    try {
      const s3 = await this.session();
      await s3.client.send(new s3.sdk.RestoreObjectCommand({
        Bucket: this.config.bucket,
        Key: this.key(name),
        RestoreRequest: { Days: days, GlacierJobParameters: { Tier: 'Standard' } },
      }));
    } catch (error) {
      if (isS3Error(error)) {
        const status = error.$metadata.httpStatusCode ?? 0;
        if (status === 501 || error.name === 'NotImplemented') {
          this.archiveReadsAtOnce = true;
          return;
        }
        // 409: a restore is already in progress; that is what we asked for.
        if (error.name === 'RestoreAlreadyInProgress' || status === 409) return;
      }
      throw this.mapError(error, name);
    }
  }

  /** Creates the bucket if it does not exist (one already owned by these credentials is fine). */
  async ensureBucket(): Promise<void> {
    try {
      const s3 = await this.session();
      await s3.client.send(new s3.sdk.CreateBucketCommand({ Bucket: this.config.bucket }));
    } catch (error) {
      if (isS3Error(error) && (error.name === 'BucketAlreadyOwnedByYou' || error.name === 'BucketAlreadyExists')) return;
      throw this.mapError(error, this.config.bucket);
    }
  }

  /** The storage class of a tier. */
  classOf(tier: Tier): string {
    return tier === 'cold' ? this.config.coldClass : this.config.hotClass;
  }

  private tierOf(storageClass: string | undefined): Tier {
    // S3 omits the class for STANDARD objects.
    return (storageClass ?? 'STANDARD') === this.config.coldClass && this.config.coldClass !== this.config.hotClass ? 'cold' : 'hot';
  }

  private key(name: string): string {
    return this.config.prefix + name;
  }

  private assertUsable(name: string): void {
    if (this.closed) throw new StorageError('UNAVAILABLE', `${this.location} is closed`);
    assertValidName(name);
  }

  private mapError(error: unknown, name: string): Error {
    if (error instanceof StorageError || error instanceof RangeError) return error;
    if (isS3Error(error)) {
      const status = error.$metadata.httpStatusCode ?? 0;
      // AWS answers a GET (or copy) of an unrestored GLACIER / DEEP_ARCHIVE object so.
      if (error.name === 'InvalidObjectState') return new FrozenError(name, this.config.coldClass, this.location);
      if (status === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound') {
        if (error.name === 'NoSuchBucket') return new UnavailableError(`bucket ${this.config.bucket} does not exist at ${this.location}`, { cause: error });
        return new NotFoundError(name, this.location);
      }
      if (error.name === 'QuotaExceeded' || error.name === 'EntityTooLarge') return new NoSpaceError(`${this.location}: ${error.name}`, { cause: error });
      if (status === 403) return new StorageError('UNAVAILABLE', `${this.location}: access denied (check the credentials): ${error.message}`, { cause: error });
      // Other 4xx (bad request, method not allowed, ...) mean the same request fails again; 408, 429 and S3's 400 RequestTimeout (body sent too slowly) are transient.
      if (status >= 400 && status < 500 && status !== 408 && status !== 429 && error.name !== 'RequestTimeout') return new RefusedError(`${this.location}: ${error.name} (HTTP ${status})${error.message ? `: ${error.message}` : ''}`, { cause: error });
      return new UnavailableError(`${this.location}: ${error.name} (HTTP ${status})${error.message ? `: ${error.message}` : ''}`, { cause: error });
    }
    const code = (error as { code?: string; name?: string }).code ?? (error as { name?: string }).name ?? 'error';
    return new UnavailableError(`${this.location} unreachable (${code}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Storage classes whose objects need a restore before they can be read. */
const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/**
 * The state of an archived object from HeadObject's Restore header:
 * absent: frozen (never restored); `ongoing-request="true"`: thawing;
 * `ongoing-request="false", expiry-date="..."`: readable until then.
 */
export function parseRestoreHeader(header: string | undefined, storageClass: string, readsAtOnce = false): ThawState {
  if (header === undefined || header === '') return readsAtOnce ? { state: 'ready' } : { state: 'frozen', storageClass };
  if (/ongoing-request\s*=\s*"true"/i.test(header)) return { state: 'thawing', storageClass };
  return { state: 'ready' };
}

/**
 * A body shorter than its Content-Length is a connection cut mid-way, not the
 * object (nor, for a range, the end of it): a retryable failure.
 */
function assertWhole(bytes: Uint8Array, contentLength: number | undefined, name: string, location: string): void {
  if (contentLength !== undefined && bytes.length !== contentLength) {
    throw new UnavailableError(`${location}: ${name} arrived incomplete (${bytes.length} of ${contentLength} bytes)`);
  }
}

/** Reads a response body into one buffer: into `into` while it fits, else a fresh one. */
async function bodyBytes(body: unknown, into?: Uint8Array): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let fits = into !== undefined;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (fits && into && total + chunk.length <= into.length) into.set(chunk, total);
    else {
      if (fits && into) chunks.push(into.slice(0, total)); // what was written so far, then the rest apart
      fits = false;
      chunks.push(chunk);
    }
    total += chunk.length;
  }
  if (fits && into) return into.subarray(0, total);
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
