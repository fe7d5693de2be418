// Bundles the CLI (src/cli/index.ts and the engine) into dist/strata.mjs with
// esbuild, so `npx strata` starts fast with plain Node. Run by `npm install`
// (prepare), `npm run build` and `npm test`.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';

await mkdir('dist', { recursive: true });
await build({
  entryPoints: ['src/cli/index.ts'],
  outfile: 'dist/strata.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // esbuild's ESM output needs require() for CommonJS dependencies.
  banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
});
