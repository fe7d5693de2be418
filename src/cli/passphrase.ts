// Where the CLI gets passphrases: STRATA_PASSPHRASE, STRATA_PASSPHRASE_FILE,
// or a hidden prompt on a terminal. New passphrases (init, key add/passwd)
// come from STRATA_NEW_PASSPHRASE(_FILE) or are asked twice on a terminal.

import { readFile } from 'node:fs/promises';
import { UsageError } from './usage-error';

async function fromEnv(variable: string, fileVariable: string): Promise<string | undefined> {
  const direct = process.env[variable];
  if (direct !== undefined && direct !== '') return direct;
  const file = process.env[fileVariable];
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${fileVariable} (${file}): ${(error as Error).message}`);
    }
    return text.replace(/\r?\n$/, '');
  }
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
