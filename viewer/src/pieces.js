// Fills a segment's missing pieces over HTTP: one Range request per run of missing pieces, box
// first and R2 second, every piece checked against its SHA-1 from the torrent before use.
import { pieceRange } from './torrent-meta.js';
import { sha1, sameBytes } from './sha1.js';

/** Runs [first, last] of indices in 0..count whose `have(i)` is false, at most `maxRun` long. */
export function missingRuns(count, have, maxRun = 16) {
  const runs = [];
  for (let i = 0; i < count; i++) {
    if (have(i)) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1 && i - last[0] < maxRun) last[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

/** Splits `bytes` (pieces first..last) into pieces, keeping those whose SHA-1 matches. */
export function verifiedPieces(meta, first, last, bytes) {
  const base = pieceRange(meta, first)[0];
  const out = new Map();
  for (let i = first; i <= last; i++) {
    const [start, end] = pieceRange(meta, i);
    if (end - base > bytes.length) break;
    const piece = bytes.slice(start - base, end - base);
    if (sameBytes(sha1(piece), meta.hashes[i])) out.set(i, piece);
  }
  return out;
}

/** A failed HTTP fetch: status (0 for a network error) and the source's name. */
export class FetchError extends Error {
  constructor(source, status, detail) {
    super(`${source}: ${status ? `HTTP ${status}` : 'network error'}${detail ? ` (${detail})` : ''}`);
    this.name = 'FetchError';
    this.status = status;
  }
}

async function fetchRange(url, start, end, signal) {
  let res;
  try {
    res = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new FetchError(url, 0, e.message);
  }
  if (res.status !== 206 && res.status !== 200) throw new FetchError(url, res.status);
  const body = new Uint8Array(await res.arrayBuffer());
  return res.status === 206 ? body : body.subarray(start, end);
}

/**
 * Fetches pieces `missing` (runs) of `meta` from `sources` ([{name, url}], in order), calling
 * `onBytes(sourceName, n)` per response. Resolves to a Map index -> verified piece; throws the
 * last FetchError when a piece could be had from no source.
 */
export async function fetchPieces(meta, runs, sources, { signal, onBytes }) {
  const got = new Map();
  await Promise.all(runs.map((run) => fetchRun(meta, run, sources, got, { signal, onBytes })));
  return got;
}

async function fetchRun(meta, [first, last], sources, got, { signal, onBytes }) {
  let lastError = new FetchError('http', 0, 'no source');
  let pending = [[first, last]];
  for (const source of sources) {
    const next = [];
    for (const [a, b] of pending) {
      const start = pieceRange(meta, a)[0];
      const end = pieceRange(meta, b)[1];
      try {
        const bytes = await fetchRange(source.url, start, end, signal);
        onBytes(source.name, bytes.length);
        const ok = verifiedPieces(meta, a, b, bytes);
        for (const [i, p] of ok) got.set(i, p);
        next.push(...missingRuns(b + 1, (i) => i < a || ok.has(i)));
      } catch (e) {
        if (signal?.aborted) throw e;
        lastError = e;
        next.push([a, b]);
      }
    }
    pending = next;
    if (pending.length === 0) return;
  }
  throw lastError;
}
