// The layer rules of eslint.config.js refuse what they should and let the rest
// through: source text linted under made-up paths in each folder. Every path
// a case lets through is also refused something by another case, so that a
// case could fail (the rules do reach that path).

import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: resolve(root, 'eslint.config.js') });

/** The no-restricted-imports messages for a module at `path` that imports `from` (linted, not ignored, and parsed). */
async function refusals(path: string, from: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { thing } from '${from}';\nexport { thing };\n`, { filePath: resolve(root, path) });
  // A fatal parse error, or a path the config ignores, comes without a rule: nothing would be refused, whatever the rules say.
  expect(result?.messages.filter((m) => m.ruleId === null)).toEqual([]);
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const refused: Array<[string, string, string, RegExp]> = [
  ['a CLI module importing the repository directly', 'src/cli/fake.ts', '../engine/repo/repository', /src\/cli imports only/],
  ['a CLI module importing the service', 'src/cli/fake.ts', '../engine/service/service', /src\/cli imports only/],
  ['a storage module importing version history', 'src/engine/storage/fake.ts', '../versions/history', /src\/engine\/storage may not import/],
  ['the S3 backend importing version history', 'src/engine/storage/s3-fake.ts', '../versions/history', /src\/engine\/storage may not import/],
  ['a repo module importing maintenance', 'src/engine/repo/fake.ts', '../maintenance/check', /src\/engine\/repo may not import/],
  ['a sync module importing the file store', 'src/engine/sync/fake.ts', '../files/file-store', /src\/engine\/sync may not import/],
  ['a snapshot module importing sync', 'src/engine/snapshot/fake.ts', '../sync/replicate', /src\/engine\/snapshot may not import/],
  ['a versions module importing the tier policy', 'src/engine/versions/fake.ts', '../tiers/policy', /src\/engine\/versions may not import/],
  ['a watch module importing ops', 'src/engine/watch/fake.ts', '../ops/folders', /src\/engine\/watch may not import/],
  ['a tiers module importing ops', 'src/engine/tiers/fake.ts', '../ops/session', /src\/engine\/tiers may not import/],
  ['an ops module importing the service', 'src/engine/ops/fake.ts', '../service/service', /src\/engine\/ops may not import/],
  ['a foundation importing storage', 'src/engine/crypto/fake.ts', '../storage/backend', /src\/engine\/crypto may not import/],
  ['a file at the engine\'s top importing ops', 'src/engine/fake.ts', './ops/session', /src\/engine's top may not import/],
  ['an ops module importing the API contract', 'src/engine/ops/fake.ts', '../../shared/api', /Only src\/engine\/service imports src\/shared/],
  ['an engine module importing a host', 'src/engine/ops/fake.ts', '../../cli/usage-error', /imports no host/],
  ['the service importing a host', 'src/engine/service/fake.ts', '../../serve/serve', /imports no host/],
  ['a local backend importing the S3 SDK', 'src/engine/storage/local-fake.ts', '@aws-sdk/client-s3', /Only src\/engine\/storage\/s3\*\.ts/],
  ['strata serve importing the engine around the service', 'src/serve/fake.ts', '../engine/repo/location', /only through src\/engine\/service/],
  ['strata serve importing the CLI', 'src/serve/fake.ts', '../cli/usage-error', /import nothing of the CLI/],
  ['the Electron main process importing ops', 'src/main/fake.ts', '../engine/ops/session', /only through src\/engine\/service/],
];

const allowed: Array<[string, string, string]> = [
  ['an ops module importing storage', 'src/engine/ops/fake.ts', '../storage/backend'],
  ['an ops module importing versions and tiers', 'src/engine/ops/fake.ts', '../tiers/tiers'],
  ['a snapshot module importing the file store', 'src/engine/snapshot/fake.ts', '../files/file-store'],
  ['a watch module importing versions', 'src/engine/watch/fake.ts', '../versions/lookup'],
  ['a tiers module importing versions', 'src/engine/tiers/fake.ts', '../versions/history'],
  ['a storage module importing a foundation', 'src/engine/storage/fake.ts', '../errors'],
  ['the S3 backend importing the S3 SDK', 'src/engine/storage/s3-fake.ts', '@aws-sdk/client-s3'],
  ['the service importing the API contract', 'src/engine/service/fake.ts', '../../shared/api'],
  ['a CLI module importing ops', 'src/cli/fake.ts', '../engine/ops/session'],
  ['a CLI module importing the engine\'s errors', 'src/cli/fake.ts', '../engine/errors'],
  ['a CLI module importing the engine\'s version', 'src/cli/fake.ts', '../engine/version'],
  ['a CLI module importing its own module', 'src/cli/fake.ts', './usage-error'],
  ['a CLI module importing node:', 'src/cli/fake.ts', 'node:path'],
  ['a CLI module importing commander', 'src/cli/fake.ts', 'commander'],
  ['the CLI importing strata serve', 'src/cli/fake.ts', '../serve/serve-command'],
  ['strata serve importing the service', 'src/serve/fake.ts', '../engine/service/service'],
];

describe('lint: the layer ladder', () => {
  it.each(refused)('refuses %s', async (_what, path, from, message) => {
    const found = await refusals(path, from);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each(allowed)('allows %s', async (_what, path, from) => {
    expect(await refusals(path, from)).toEqual([]);
  });

  it('refuses something at every path it lets an import through', () => {
    const refusedAt = new Set(refused.map(([, path]) => path));
    expect(allowed.map(([, path]) => path).filter((path) => !refusedAt.has(path))).toEqual([]);
  });
});
