// Vite build of the viewer; `dist/` is what the box serves at `/`.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const mseShim = fileURLToPath(new URL('./src/shims/mse.js', import.meta.url));

/** bittorrent-protocol's browser field drops `./mse.js`, which its index still imports names from. */
const bittorrentProtocolMse = {
  name: 'bittorrent-protocol-mse',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === './mse.js' && importer && /[\\/]bittorrent-protocol[\\/]index\.js$/.test(importer)) return mseShim;
    return null;
  },
};

export default defineConfig({
  base: './',
  plugins: [bittorrentProtocolMse],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2020', chunkSizeWarningLimit: 2048 },
  server: { proxy: { '/hls': 'http://localhost:8080', '/api': 'http://localhost:8080' } },
});
