// `strata serve --port` as a user runs it (issue 10, point 14): a port that is
// not a whole number from 0 to 65535 is a usage error (exit 2, one line), and
// a port already taken is one line saying so (exit 1), never Node's message.

import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers';
import { cliEnv, startCli, type CliResult } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await tempDir('strata-serve-cli-');
  env = { ...cliEnv(join(dir.path, 'repo')), HOME: dir.path };
});
afterAll(async () => {
  await dir.cleanup();
});

/** Runs `strata serve ARGS`; should it start serving after all, it is stopped at once (and the test sees its URL on stdout). */
function serve(args: string[]): Promise<CliResult> {
  const { child, result } = startCli(['serve', ...args], env);
  child.stdout?.on('data', (chunk: string) => {
    if (chunk.includes('Strata is running at')) child.kill('SIGTERM');
  });
  return result;
}

describe('strata serve --port', () => {
  it.each(['99999', '65536', 'abc', '1.5', '-1', '', '0x50', ' 80'])('refuses --port=%j as a usage error', async (port) => {
    const result = await serve([`--port=${port}`]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([`strata: --port must be a whole number from 0 to 65535 (0 picks a free port), not ${JSON.stringify(port)}`]);
    expect(result.stdout).toBe('');
  });

  it('says in one line that a port is already in use (exit 1)', async () => {
    const taken: Server = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await serve(['--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([`strata: port ${port} on 127.0.0.1 is already in use: choose another with --port, or --port 0 for a free one`]);
    } finally {
      await new Promise<void>((closed) => taken.close(() => closed()));
    }
  });
});
