#!/usr/bin/env node
// The `strata` command: runs the bundled CLI (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'strata.mjs');
if (!existsSync(bundle)) {
  process.stderr.write('strata: the CLI is not built; run `npm install` (or `npm run build:cli`) in the Strata folder\n');
  process.exit(1);
}
await import(pathToFileURL(bundle).href);
