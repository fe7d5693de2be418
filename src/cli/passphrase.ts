// Where the CLI gets passphrases: STRATA_PASSPHRASE, STRATA_PASSPHRASE_FILE,
// or a hidden prompt on a terminal. New passphrases (init, key add/passwd)
// come from STRATA_NEW_PASSPHRASE(_FILE) or are asked twice on a terminal.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from './usage-error';

/** A passphrase file holds one line; anything longer is not one (and a device must not be read forever). */
const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;

const warned = new Set<string>();

/**
 * Reads a passphrase file: a regular file of at most MAX_PASSPHRASE_FILE_BYTES.
 * A FIFO, a device (/dev/zero) or a directory is refused, never waited on or
 * read without end; a file other users can read gets a one-line warning.
 */
async function readPassphraseFile(variable: string, file: string): Promise<string> {
  let handle: FileHandle;
  try {
    // Non-blocking, so opening a FIFO does not wait for a writer; fstat then refuses it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UsageError(`cannot read ${variable} (${file}): ${(error as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UsageError(`${variable} (${file}) is not a regular file: put the passphrase in a file only you can read`);
    // Group or others may read it (POSIX modes; Windows has none to check).
    if (process.platform !== 'win32' && (info.mode & 0o044) !== 0 && !warned.has(file)) {
      warned.add(file);
      process.stderr.write(`warning: ${file}: ${variable} can be read by other users (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it\n`);
    }
    const buffer = Buffer.alloc(MAX_PASSPHRASE_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_PASSPHRASE_FILE_BYTES) {
      buffer.fill(0);
      throw new UsageError(`${variable} (${file}) is larger than ${MAX_PASSPHRASE_FILE_BYTES / 1024} KiB: not a passphrase file`);
    }
    const text = buffer.toString('utf8', 0, length);
    buffer.fill(0);
    return text.replace(/\r?\n$/, '');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${variable} (${file}): ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}

async function fromEnv(variable: string, fileVariable: string): Promise<string | undefined> {
  const direct = process.env[variable];
  if (direct !== undefined && direct !== '') return direct;
  const file = process.env[fileVariable];
  if (file) return readPassphraseFile(fileVariable, file);
  return undefined;
}

/** Reads a line from the terminal without echoing it. */
export async function promptHidden(question: string, variables = 'STRATA_PASSPHRASE or STRATA_PASSPHRASE_FILE'): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new UsageError(`no passphrase: set ${variables}, or run on a terminal`);
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          process.stderr.write('\n');
          reject(new UsageError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const cleanup = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

export async function currentPassphrase(): Promise<string> {
  return (await fromEnv('STRATA_PASSPHRASE', 'STRATA_PASSPHRASE_FILE')) ?? promptHidden('Repository passphrase: ');
}

export async function newPassphrase(useCurrentEnv: boolean): Promise<string> {
  const fromVariables = (await fromEnv('STRATA_NEW_PASSPHRASE', 'STRATA_NEW_PASSPHRASE_FILE')) ??
    (useCurrentEnv ? await fromEnv('STRATA_PASSPHRASE', 'STRATA_PASSPHRASE_FILE') : undefined);
  if (fromVariables !== undefined) return fromVariables;
  const variables = useCurrentEnv ? 'STRATA_PASSPHRASE (or STRATA_NEW_PASSPHRASE)' : 'STRATA_NEW_PASSPHRASE or STRATA_NEW_PASSPHRASE_FILE';
  const first = await promptHidden('New passphrase: ', variables);
  const second = await promptHidden('Repeat the passphrase: ', variables);
  if (first !== second) throw new UsageError('the passphrases do not match');
  if (first.length === 0) throw new UsageError('the passphrase is empty');
  return first;
}
