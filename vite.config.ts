/**
 * The web viewer (src/viewer) → dist/viewer. Relative asset URLs, so
 * `pstore view` and any static host can serve it from any path.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/viewer/', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/viewer/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Maps without a sourceMappingURL comment: for whoever wants them, not shipped in the package.
    sourcemap: 'hidden',
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
});
