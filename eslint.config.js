// Lint rules, including the layer rules of docs/architecture.md: the engine never
// imports Electron, React or the DOM; only the S3 backend may import the S3 SDK;
// inside the engine imports point down the ladder only; only engine/service
// imports src/shared; the CLI reaches the engine only through engine/ops (and
// its errors and version); serve and main only through engine/service, and
// import nothing of the CLI; the renderer and preload talk to the rest only
// through src/shared.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const electronReact = ['electron', 'electron/*', 'react', 'react/*', 'react-dom', 'react-dom/*'];
const s3Sdk = ['@aws-sdk/*', '@smithy/*'];

const noElectronReact = { group: electronReact, message: 'The engine must not import Electron or React.' };
const noS3Sdk = { group: s3Sdk, message: 'Only src/engine/storage/s3*.ts may import the S3 SDK.' };

// The engine's inner ladder, bottom up: a folder imports only folders on lower
// rungs (and the foundations: errors.ts, version.ts, printable.ts, async/,
// memory/, fs/, chunk/, compress/, crypto/, workers/, which import no rung).
const ladder = [['storage'], ['repo'], ['files', 'snapshot', 'sync'], ['versions'], ['tiers', 'maintenance', 'watch'], ['ops'], ['service']];
const foundations = ['async', 'memory', 'fs', 'chunk', 'compress', 'crypto', 'workers'];
const ladderText = 'storage -> repo -> files/snapshot/sync -> versions -> tiers/maintenance/watch -> ops -> service';
// Within a rung: snapshot may import files; files and sync import neither of the others.
const sideways = { files: ['snapshot', 'sync'], snapshot: ['sync'], sync: ['files', 'snapshot'] };

/** An import of one of these folders, however far up the relative path climbs ('../x/', './x/', '../engine/x/'). */
const folderImport = (folders) => `(^|/)(${folders.join('|')})/`;

/** The engine folders `folder` may not import: every higher rung, and the sideways ones. */
function forbiddenFor(folder) {
  const rung = ladder.findIndex((names) => names.includes(folder));
  return [...ladder.slice(rung + 1).flat(), ...(sideways[folder] ?? [])];
}

/** What no engine file imports: Electron, React, the S3 SDK (but in `s3`), a host, src/shared (but in `shared`). */
function engineBase({ s3 = false, shared = false } = {}) {
  return [
    noElectronReact,
    ...(s3 ? [] : [noS3Sdk]),
    { regex: folderImport(['main', 'preload', 'renderer', 'cli', 'serve']), message: 'The engine imports no host (main, preload, renderer, cli, serve).' },
    ...(shared ? [] : [{ regex: folderImport(['shared']), message: 'Only src/engine/service imports src/shared: the rest of the engine speaks in engine types and errors.' }]),
  ];
}

/**
 * The no-restricted-imports patterns of one engine folder ('' for the files at
 * src/engine's top). One list per file: a later `files` block replaces the
 * rule of an earlier one, so each block carries its whole list.
 */
function enginePatterns(folder, { s3 = false } = {}) {
  const patterns = engineBase({ s3, shared: folder === 'service' });
  const above = folder === '' || foundations.includes(folder) ? ladder.flat() : forbiddenFor(folder);
  if (above.length > 0) {
    const where = folder === '' ? 'The files at src/engine\'s top' : `src/engine/${folder}`;
    patterns.push({ regex: folderImport(above), message: `${where} may not import ${above.join(', ')}: imports point down the ladder (${ladderText}).` });
  }
  return patterns;
}

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

const engineBlocks = [
  // Any engine file first (a new folder gets at least these), then each folder's own list.
  { files: ['src/engine/**/*.ts'], rules: restrict(engineBase()) },
  { files: ['src/engine/*.ts'], rules: restrict(enginePatterns('')) },
  ...[...foundations, ...ladder.flat()].map((folder) => ({ files: [`src/engine/${folder}/**/*.ts`], rules: restrict(enginePatterns(folder)) })),
  { files: ['src/engine/storage/s3*.ts'], rules: restrict(enginePatterns('storage', { s3: true })) },
];

// The CLI parses arguments and prints: of the engine it sees only ops/, errors and version.
const cliAllowed = ['\\./[^/]+', '\\.\\./engine/ops/[^/]+', '\\.\\./engine/errors', '\\.\\./engine/version', '\\.\\./serve/[^/]+', 'node:.+', 'commander', 'cli-progress'];
const cliPatterns = (extra = []) => [{
  regex: `^(?!(${[...cliAllowed, ...extra].join('|')})$)`,
  message: 'src/cli imports only ../engine/ops/*, ../engine/errors and ../engine/version of the engine (besides its own modules, node:*, commander, cli-progress and ../serve/*): what it needs from lower layers, the ops module re-exports.',
}];

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'coverage/', 'bench/.work/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [noS3Sdk] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // The DOM is off limits in the engine: no browser globals.
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage', 'HTMLElement'],
    },
  },
  ...engineBlocks,
  { files: ['src/cli/**/*.ts'], rules: restrict(cliPatterns()) },
  { files: ['src/cli/**/*.test.ts'], rules: restrict(cliPatterns(['vitest'])) },
  {
    files: ['src/serve/**/*.ts', 'src/main/**/*.ts'],
    rules: restrict([
      noS3Sdk,
      { regex: '(^|/)engine/(?!service/)', message: 'Hosts reach the engine only through src/engine/service/*.' },
      { regex: '(^|/)cli/', message: 'strata serve and the Electron main process import nothing of the CLI (the CLI starts strata serve, not the other way round).' },
    ]),
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      // A regex, not a group: gitignore-style '!./*' does not re-allow './x'.
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./[^/]+$)', message: 'src/shared imports nothing but itself.' }] }],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/engine/*', '**/engine', '**/main/*', '**/cli/*', '**/serve/*', 'node:*', 'electron'], message: 'The renderer talks only through src/shared.' },
        ],
      }],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/*', '**/engine', '**/cli/*', '**/serve/*', '**/renderer/*'], message: 'The preload exposes only the shared API.' }] }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
