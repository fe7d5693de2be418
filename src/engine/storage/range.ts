// Byte-range checking for getRange, shared so every backend agrees on what
// "past the end" means.

/** Throws RangeError unless [offset, offset+length) is a whole-number range inside `size` bytes. */
export function assertRangeWithin(name: string, offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`invalid range offset=${offset} length=${length} for ${name}`);
  }
  if (offset + length > size) {
    throw new RangeError(`range [${offset}, ${offset + length}) is past the end of ${name} (${size} bytes)`);
  }
}
