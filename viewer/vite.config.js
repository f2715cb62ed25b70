// Vite build of the viewer; `dist/` is what the box serves at `/`.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2020', chunkSizeWarningLimit: 2048 },
  server: { proxy: { '/hls': 'http://localhost:8080', '/api': 'http://localhost:8080' } },
});
