// Lint rules, including the layer rules of docs/architecture: the engine never
// imports Electron, React or the DOM; only the S3 backend may import the S3 SDK;
// the renderer and preload talk to the rest only through src/shared.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const electronReact = ['electron', 'electron/*', 'react', 'react/*', 'react-dom', 'react-dom/*'];
const s3Sdk = ['@aws-sdk/*', '@smithy/*'];

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'coverage/', 'bench/.work/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: s3Sdk, message: 'Only src/engine/storage/s3*.ts may import the S3 SDK.' }] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: electronReact, message: 'The engine must not import Electron or React.' },
          { group: s3Sdk, message: 'Only src/engine/storage/s3*.ts may import the S3 SDK.' },
          { group: ['**/main/*', '**/preload/*', '**/renderer/*', '**/cli/*'], message: 'The engine imports only src/shared.' },
        ],
      }],
      // The DOM is off limits in the engine: no browser globals.
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage', 'HTMLElement'],
    },
  },
  {
    files: ['src/engine/storage/s3*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: electronReact, message: 'The engine must not import Electron or React.' }] }],
    },
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
          { group: ['**/engine/*', '**/engine', '**/main/*', '**/cli/*', 'node:*', 'electron'], message: 'The renderer talks only through src/shared.' },
        ],
      }],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/*', '**/engine', '**/cli/*', '**/renderer/*'], message: 'The preload exposes only the shared API.' }] }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
