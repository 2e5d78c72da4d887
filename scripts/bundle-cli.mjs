// Bundles the `pstore` command into dist/bin/ (the package's bin: dist/bin/pstore.js).
// Node 20 spends most of a short command's time resolving, opening and compiling
// ~60 ES modules one by one; a few bundled files start in a fraction of that.
// Split into chunks so that a command loads only its own code and the Node
// builtins it uses (`pstore ls` does not load node:http for the viewer's server).
// dist/bin/ sits at the depth of dist/cli/, so paths relative to a module
// (../../package.json, ../../native/, ../viewer) resolve the same from either.
// The library (dist/index.js and the subpath exports) stays unbundled.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bin';
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { pstore: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
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
