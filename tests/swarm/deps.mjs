// Loads npm packages from tests/interop's node_modules (webtorrent 3.0.21 with @roamhq/wrtc via
// the webrtc-shim override, ws, bencode, memory-chunk-store), so the swarm benchmark has no
// lockfile of its own.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const base = new URL('../interop/', import.meta.url);
const req = createRequire(new URL('package.json', base));

/** The entry file of an ESM-only package (its `exports` has no `require` condition). */
function esmEntry(name) {
  const dir = new URL(`node_modules/${name}/`, base);
  const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
  let e = pkg.exports?.['.'] ?? pkg.exports;
  while (e && typeof e === 'object') e = e.import ?? e.default ?? e.node;
  return new URL(e || pkg.module || pkg.main || 'index.js', dir).href;
}

/** `import()` of a package installed in tests/interop. */
export async function load(name) {
  let url;
  try {
    url = pathToFileURL(req.resolve(name)).href;
  } catch {
    url = esmEntry(name);
  }
  const mod = await import(url);
  return mod.default ?? mod;
}
