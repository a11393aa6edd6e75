/**
 * Vite config of the explorer: `npm run web` serves it, `npm run web:build` writes web/dist
 * with relative URLs (base './'), so the static files work from any folder of any server.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // the worker imports the library (ES modules), so it is bundled as a module worker
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  // the library lives in ../src
  server: { host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { host: '127.0.0.1' },
});
