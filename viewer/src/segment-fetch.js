// Gets one segment: peers first until the deadline, then the missing pieces over HTTP (box,
// then R2), every piece verified; the result is the segment's bytes.
import { metaOf, pieceRange } from './torrent-meta.js';
import { fetchPieces, missingRuns } from './pieces.js';

/** Resolves when `t` is done, `ms` passed or `signal` aborted, whichever comes first. */
function waitForPeers(t, ms, signal) {
  if (t.done || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      t.removeListener('done', finish);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    t.once('done', finish);
    signal?.addEventListener('abort', finish, { once: true });
  });
}

function assemble(meta, pieces) {
  const out = new Uint8Array(meta.length);
  for (const [i, p] of pieces) out.set(p, pieceRange(meta, i)[0]);
  return out;
}

function httpSources(seg, baseUrl) {
  const list = [{ name: 'box', url: new URL(seg.url, baseUrl).href }];
  if (seg.r2Url) list.push({ name: 'r2', url: seg.r2Url });
  return list;
}

/**
 * Fetches `seg`. `p2p` (optional) is the webtorrent handle; `waitMs` how long peers may take;
 * `stats` counts bytes. Resolves to `{ data, p2pPieces, httpPieces, httpMs, count }`.
 */
export async function fetchSegment(seg, { p2p, waitMs, stats, signal, baseUrl }) {
  const meta = metaOf(seg);
  const count = meta.hashes.length;
  let t = null;
  let have = new Map();
  if (p2p) {
    t = p2p.torrentFor(seg);
    await waitForPeers(t, waitMs, signal);
    have = p2p.piecesOf(t);
  }
  if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
  const p2pPieces = have.size;
  const runs = missingRuns(count, (i) => have.has(i));
  let httpMs = 0;
  if (runs.length) {
    const started = performance.now();
    const onBytes = (name, n) => stats.add(name, n);
    const got = await fetchPieces(meta, runs, httpSources(seg, baseUrl), { signal, onBytes });
    if (t) p2p.inject(t, got);
    for (const [i, p] of got) if (!have.has(i)) have.set(i, p);
    httpMs = performance.now() - started;
  }
  const httpPieces = count - p2pPieces;
  const kind = httpPieces === 0 ? 'p2pOnly' : p2pPieces === 0 ? 'httpOnly' : 'mixed';
  stats.segments[kind]++;
  return { data: assemble(meta, have), p2pPieces, httpPieces, httpMs, count };
}
