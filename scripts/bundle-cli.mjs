// Bundles the `pstore` command into dist/bin/ (the package's bin: dist/bin/pstore.js).
// Node 20 spends most of a short command's time loading and compiling modules:
// ES modules one by one through the ESM loader, each parsed from source on every
// start. So the command is one CommonJS bundle (dist/bin/cli.js; commands stay
// lazy inside it: `pstore ls` never runs the viewer's server code or loads
// node:http) started by a small loader (dist/bin/pstore.js, src/cli/bin.ts)
// through a per-user V8 code cache (src/cli/codeCache.ts).
// dist/bin/ sits at the depth of dist/cli/, so paths relative to a module
// (../../package.json, ../../native/, ../viewer) resolve the same from either.
// The library (dist/index.js and the subpath exports) stays unbundled ESM.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bin';
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'inline',
  logLevel: 'warning',
  // Half the bytes to read and hash at every start; names kept for error classes.
  minify: true,
  keepNames: true,
};

// commander loads node:child_process (and with it node:net) at startup for
// executable subcommands, which pstore has none of: load it on first spawn.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(eager)) throw new Error(`bundle-cli: ${args.path} no longer has: ${eager}`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

await build({
  ...common,
  plugins: [lazyChildProcess],
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir,
  // Loads its .wasm file from its own package directory, and only when zstd is used.
  external: ['@bokuweb/zstd-wasm'],
  // The bundle runs inside vm.Script, where import() would need a loader of its own.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__pstoreModuleUrl' },
  banner: { js: "var __pstoreModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// .js under dist/bin is CommonJS whatever the package's "type" says.
writeFileSync(`${outdir}/package.json`, '{ "type": "commonjs" }\n');

const sha256 = createHash('sha256').update(readFileSync(`${outdir}/cli.js`)).digest('hex');
await build({
  ...common,
  entryPoints: { pstore: 'src/cli/bin.ts' },
  outdir,
  define: { PSTORE_CLI_SHA256: JSON.stringify(sha256) },
});
