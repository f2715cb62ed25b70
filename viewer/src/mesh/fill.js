// HTTP fill without a stampede (docs/LIVE-MESH.md): at the deadline each missing piece waits
// hash(peer id, seq, piece) mod 1000 / 1000 x stagger more, then is fetched by the host's
// `fetchPiece` unless it arrived over the mesh meanwhile. Every fetched piece is verified.
import { sha1 } from '../sha1.js';

export const DEFAULT_STAGGER_MS = 400;

/** The stagger of `piece` of `seq` for peer `peerIdHex`, in ms (0 <= x < stagger). */
export function staggerMs(peerIdHex, seq, piece, stagger = DEFAULT_STAGGER_MS) {
  const bytes = new Uint8Array(30);
  for (let i = 0; i < 20; i++) bytes[i] = parseInt(peerIdHex.slice(2 * i, 2 * i + 2), 16) || 0;
  const view = new DataView(bytes.buffer);
  view.setUint32(20, Math.floor(seq / 2 ** 32));
  view.setUint32(24, seq % 2 ** 32);
  view.setUint16(28, piece);
  const h = new DataView(sha1(bytes).buffer).getUint32(0);
  return ((h % 1000) / 1000) * stagger;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_RETRY_MS = 250;

/**
 * Fills the missing pieces of `seg` after its deadline. `fetchPiece(seq, piece, {attempt})`
 * resolves to bytes (attempt 0, 1, ...: the host may take the next source on a retry);
 * `accept(seg, piece, bytes)` stores a verified piece (false when it does not verify). A piece
 * whose fetch fails (or does not verify) is fetched again after `retryMs` (doubling), up to
 * `attempts` fetches in all, unless it arrived over the mesh meanwhile; `onRetry(err, seg, i)`
 * hears each such failure. Only a piece with no attempt left (or an error with `retry: false`,
 * i.e. no source left) goes to `onError(err, seg, i)`. Returns a cancel function.
 */
export function startFill(seg, { peerId, stagger, fetchPiece, accept, onError, onRetry, timers,
  attempts = DEFAULT_ATTEMPTS, retryMs = DEFAULT_RETRY_MS }) {
  const pending = new Set();
  let cancelled = false;
  const later = (fn, ms) => {
    const timer = timers.setTimeout(() => {
      pending.delete(timer);
      if (!cancelled) fn();
    }, ms);
    pending.add(timer);
  };
  const run = (i, attempt) => fetchOne(seg, i, { fetchPiece, accept, attempt }).then((err) => {
    if (!err || cancelled || seg.removed || seg.has(i)) return;
    if (attempt + 1 < attempts && err.retry !== false) {
      onRetry?.(err, seg, i);
      later(() => run(i, attempt + 1), retryMs * 2 ** attempt);
    } else {
      onError(err, seg, i);
    }
  });
  for (let i = 0; i < seg.count; i++) {
    if (seg.has(i)) continue;
    later(() => run(i, 0), staggerMs(peerId, seg.seq, i, stagger));
  }
  return () => {
    cancelled = true;
    for (const t of pending) timers.clearTimeout(t);
    pending.clear();
  };
}

/** One fetch of piece `i`; resolves to the error, or null (stored, or no longer needed). */
async function fetchOne(seg, i, { fetchPiece, accept, attempt }) {
  if (seg.has(i) || seg.fetching.has(i) || seg.removed) return null;
  seg.fetching.add(i);
  try {
    const bytes = await fetchPiece(seg.seq, i, { attempt });
    if (seg.removed || seg.has(i)) return null;
    if (!accept(seg, i, bytes)) throw new Error(`piece ${i} of segment ${seg.seq} failed its SHA-1 over HTTP`);
    return null;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    seg.fetching.delete(i);
  }
}
