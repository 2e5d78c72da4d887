// Bundles the `pstore` command into one file, dist/cli/pstore.js (the package's bin).
// Node 20 spends most of a short command's time resolving, opening and compiling
// ~60 ES modules one by one; one file starts in a fraction of that. The library
// (dist/index.js and the subpath exports) stays unbundled.
// Lives in dist/cli/ like the unbundled CLI, so paths relative to the module
// (../../package.json, ../../native/) resolve the same from either.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/pstore.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Loads its .wasm file from its own package directory, and only when zstd is used.
  external: ['@bokuweb/zstd-wasm'],
  // commander is CommonJS: its require() of Node builtins needs a real require.
  banner: { js: "import { createRequire as __pstoreRequire } from 'node:module';\nconst require = __pstoreRequire(import.meta.url);" },
  legalComments: 'inline',
  logLevel: 'warning',
});
