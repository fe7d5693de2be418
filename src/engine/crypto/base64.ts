// Strict base64 decoding for values read from disk. Buffer.from(s, 'base64')
// silently skips invalid characters, which would let a corrupted field decode
// to different bytes instead of being rejected.

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64, or returns undefined if `text` is not exactly that. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (!CANONICAL_BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}
