// Gets one segment for the fragment loader: through the live mesh when the page has one (peers
// until the deadline, then the missing pieces over HTTP, see mesh-session.js), otherwise every
// piece over HTTP (box, then R2) with one Range request per run; every piece verified.
import { metaOf, pieceRange } from './torrent-meta.js';
import { fetchPieces, missingRuns } from './pieces.js';

/** The segment's bytes from verified `pieces` (Map index -> bytes, all of them). */
export function assemble(meta, pieces) {
  const out = new Uint8Array(meta.length);
  for (const [i, p] of pieces) out.set(p, pieceRange(meta, i)[0]);
  return out;
}

/** Where a segment's bytes can be had over HTTP, in order: the box, then R2. */
export function httpSources(seg, baseUrl) {
  const list = [{ name: 'box', url: new URL(seg.url, baseUrl).href }];
  if (seg.r2Url) list.push({ name: 'r2', url: seg.r2Url });
  return list;
}

/**
 * Fetches `seg` (announced with a torrent). `mesh` (optional) is the page's MeshSession;
 * `waitMs` how long peers may take; `stats` counts bytes. Resolves to
 * `{ data, count, p2pPieces, httpPieces, httpRun }`; `httpRun` `{pieces, ms}`: pieces fetched at
 * once in runs and how long that took (null if none), for the loader's HTTP estimate.
 */
export async function fetchSegment(seg, { mesh, waitMs, stats, signal, baseUrl }) {
  if (mesh?.holds(seg)) return mesh.getSegment(seg, { waitMs, signal });
  const meta = metaOf(seg);
  const count = meta.hashes.length;
  const started = performance.now();
  const onBytes = (name, n) => stats.add(name, n);
  const got = await fetchPieces(meta, missingRuns(count, () => false), httpSources(seg, baseUrl), { signal, onBytes });
  stats.segments.httpOnly++;
  const httpRun = { pieces: count, ms: performance.now() - started };
  return { data: assemble(meta, got), count, p2pPieces: 0, httpPieces: count, httpRun };
}
