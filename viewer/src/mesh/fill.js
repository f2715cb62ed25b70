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

/**
 * Fills the missing pieces of `seg` after its deadline. `fetchPiece(seq, piece)` resolves to
 * bytes; `accept(seg, piece, bytes)` stores a verified piece (false when it does not verify);
 * `onError(err)` gets a fetch that failed. Returns a cancel function.
 */
export function startFill(seg, { peerId, stagger, fetchPiece, accept, onError, timers }) {
  const pending = new Set();
  for (let i = 0; i < seg.count; i++) {
    if (seg.has(i)) continue;
    const timer = timers.setTimeout(() => {
      pending.delete(timer);
      fetchOne(seg, i, { fetchPiece, accept, onError });
    }, staggerMs(peerId, seg.seq, i, stagger));
    pending.add(timer);
  }
  return () => {
    for (const t of pending) timers.clearTimeout(t);
    pending.clear();
  };
}

async function fetchOne(seg, i, { fetchPiece, accept, onError }) {
  if (seg.has(i) || seg.fetching.has(i) || seg.removed) return;
  seg.fetching.add(i);
  try {
    const bytes = await fetchPiece(seg.seq, i);
    if (seg.removed || seg.has(i)) return;
    if (!accept(seg, i, bytes)) throw new Error(`piece ${i} of segment ${seg.seq} failed its SHA-1 over HTTP`);
  } catch (e) {
    onError(e, seg, i);
  } finally {
    seg.fetching.delete(i);
  }
}
