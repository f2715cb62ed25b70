// Loads npm packages from tests/interop's node_modules (webtorrent 3.0.21 with @roamhq/wrtc via
// the webrtc-shim override, ws, playwright-core), so the swarm benchmark has no lockfile of its own.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const req = createRequire(new URL('../interop/package.json', import.meta.url));

/** `import()` of a package installed in tests/interop. */
export async function load(name) {
  const mod = await import(pathToFileURL(req.resolve(name)).href);
  return mod.default ?? mod;
}
