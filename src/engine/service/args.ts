// Argument validation for the service: requests arrive unchecked from IPC or
// HTTP, so every field is checked here and a bad one fails with
// INVALID_ARGUMENT naming it (`field`), before any engine work starts.

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { MIN_PASSPHRASE_LENGTH, type CatalogCursor } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { DEVICE_ID, isSafeRelativePath } from '../versions/records';

/** One named argument of a call whose arguments must be an object. */
/** For the hosts over the service (serve's static files): whether a path is a folder or below it. */
export { isAtOrBelow } from '../fs/paths';

export function field(args: unknown, name: string): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new StrataError('INVALID_ARGUMENT', 'Expected an object of named arguments.');
  }
  return (args as Record<string, unknown>)[name];
}

/** An absolute filesystem path (a leading `~/` is expanded), normalised. */
export function pathArg(args: unknown, name: string): string {
  const value = field(args, name);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StrataError('INVALID_ARGUMENT', 'Enter a folder path.', name);
  }
  if (value.includes('\0')) throw new StrataError('INVALID_ARGUMENT', 'The path contains a NUL character.', name);
  const trimmed = value.trim();
  const expanded = trimmed === '~' ? homedir() : trimmed.startsWith('~/') ? join(homedir(), trimmed.slice(2)) : trimmed;
  if (!isAbsolute(expanded)) {
    throw new StrataError('INVALID_ARGUMENT', `Enter a full path (for example ${join(homedir(), 'Courses')}).`, name);
  }
  return resolve(expanded);
}

export function stringArg(args: unknown, name: string, what: string, options: { max?: number; optional?: false; allowEmpty?: boolean }): string;
export function stringArg(args: unknown, name: string, what: string, options: { max?: number; optional: true; allowEmpty?: boolean }): string | undefined;
export function stringArg(args: unknown, name: string, what: string, options: { max?: number; optional?: boolean; allowEmpty?: boolean } = {}): string | undefined {
  const value = field(args, name);
  if (value === undefined && options.optional) return undefined;
  if (typeof value !== 'string' || (!options.allowEmpty && value.trim() === '')) throw new StrataError('INVALID_ARGUMENT', `Enter ${what}.`, name);
  const max = options.max ?? 4096;
  if (value.length > max) throw new StrataError('INVALID_ARGUMENT', `${capital(what)} is too long (at most ${max} characters).`, name);
  if (value.includes('\0')) throw new StrataError('INVALID_ARGUMENT', `${capital(what)} contains a NUL character.`, name);
  return value;
}

/** A version number (1, 2, ...). */
export function versionArg(args: unknown, name: string, optional: true): number | undefined;
export function versionArg(args: unknown, name: string, optional?: false): number;
export function versionArg(args: unknown, name: string, optional = false): number | undefined {
  const value = field(args, name);
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new StrataError('INVALID_ARGUMENT', 'A version number is a whole number from 1.', name);
  }
  return value;
}

export function booleanArg(args: unknown, name: string): boolean {
  const value = field(args, name);
  if (typeof value !== 'boolean') throw new StrataError('INVALID_ARGUMENT', `"${name}" must be true or false.`, name);
  return value;
}

export function oneOf<T extends string>(args: unknown, name: string, allowed: readonly T[]): T {
  const value = field(args, name);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new StrataError('INVALID_ARGUMENT', `"${name}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}.`, name);
  }
  return value as T;
}

/** A whole number in [min, max], or `fallback` when absent. */
export function countArg(args: unknown, name: string, min: number, max: number, fallback: number): number {
  const value = field(args, name);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `"${name}" must be a whole number from ${min} to ${max}.`, name);
  }
  return value;
}

/** A course-relative path ('/'-separated, no `.` or `..` parts); a leading `/` or `./` is dropped. */
export function relPathArg(args: unknown, name = 'path'): string {
  return relPath(field(args, name), name);
}

function relPath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new StrataError('INVALID_ARGUMENT', 'Enter a path inside the course.', name);
  const path = value.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  if (!isSafeRelativePath(path)) throw new StrataError('INVALID_ARGUMENT', `${JSON.stringify(value)} is not a path inside the course.`, name);
  return path;
}

/** A moment: an ISO 8601 time (what the UI sends). */
export function timeArg(args: unknown, name: string): Date {
  const value = field(args, name);
  const time = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw new StrataError('INVALID_ARGUMENT', 'Enter a time (ISO 8601, e.g. 2026-11-27T14:00:00Z).', name);
  return time;
}

/** The passphrase: not trimmed (spaces are legitimate passphrase characters); at least MIN_PASSPHRASE_LENGTH characters with `minLength`. */
export function passphraseArg(args: unknown, options: { minLength?: boolean } = {}): string {
  const value = field(args, 'passphrase');
  if (typeof value !== 'string' || value === '') {
    throw new StrataError('INVALID_ARGUMENT', 'Enter the passphrase.', 'passphrase');
  }
  if (options.minLength && [...value].length < MIN_PASSPHRASE_LENGTH) {
    throw new StrataError('INVALID_ARGUMENT', `The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`, 'passphrase');
  }
  return value;
}

/** A course, by id or name (app/courses.ts findCourse resolves it). */
export function courseArg(args: unknown): string {
  return stringArg(args, 'course', 'a course', { max: 256 });
}

/** Optional list of course-relative paths (files or folders), without repeats. */
export function pathsArg(args: unknown): string[] | undefined {
  const value = field(args, 'paths');
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > 10_000) {
    throw new StrataError('INVALID_ARGUMENT', 'Give the paths to restore as a list (or leave it out for the whole course).', 'paths');
  }
  return [...new Set(value.map((p) => relPath(p, 'paths')))];
}

/** The catalog's cursor: device ids and the highest batch number taken in from each. */
export function cursorArg(args: unknown): CatalogCursor {
  const value = field(args, 'cursor');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StrataError('INVALID_ARGUMENT', 'The cursor must be an object of device ids and batch numbers ({} for everything).', 'cursor');
  }
  const cursor: CatalogCursor = {};
  for (const [device, seq] of Object.entries(value as Record<string, unknown>)) {
    if (!DEVICE_ID.test(device) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new StrataError('INVALID_ARGUMENT', `The cursor entry ${JSON.stringify(device)} is not a device id with a batch number.`, 'cursor');
    }
    cursor[device] = seq;
  }
  return cursor;
}

function capital(text: string): string {
  const bare = text.replace(/^(a|an|the) /, '');
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}
