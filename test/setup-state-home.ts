// Every test file runs with a machine-state home of its own (STRATA_STATE_HOME,
// docs/cli.md), so no test writes into the real ~/.local/state; CLI children
// inherit it (run-cli.ts's cliEnv copies process.env). Removed after the file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'strata-state-home-'));
process.env.STRATA_STATE_HOME = home;
afterAll(() => rmSync(home, { recursive: true, force: true }));
