// One window segment in the mesh: its torrent's piece hashes, the verified pieces held, pieces
// being assembled from 16 KiB blocks, and where its bytes came from.
import { sha1, sameBytes } from '../sha1.js';
import { MAX_PIECES } from './codec.js';

/** Block size the engine requests (and expects of pushes): 16 KiB, aligned in the piece. */
export const BLOCK = 16384;

/** The torrent fields the mesh needs, from a parsed torrent (torrent-meta.js or a plain object). */
export function torrentShape(t) {
  const hashes = t.pieceHashes || t.hashes;
  const { pieceLength, length } = t;
  if (!Number.isSafeInteger(length) || length <= 0) throw new Error('segment torrent: bad length');
  if (!Number.isSafeInteger(pieceLength) || pieceLength < BLOCK) throw new Error('segment torrent: bad piece length');
  const count = Math.ceil(length / pieceLength);
  if (!Array.isArray(hashes) || hashes.length !== count || count > MAX_PIECES) {
    throw new Error('segment torrent: piece hashes do not fit');
  }
  return { pieceLength, length, hashes, count };
}

export class Segment {
  constructor(seq, torrent) {
    Object.assign(this, torrentShape(torrent));
    this.seq = seq;
    this.pieces = new Array(this.count).fill(null); // verified bytes
    this.held = 0;
    this.partial = new Map(); // piece -> {buf, got: Uint8Array per block, left, from: Map link -> bytes}
    this.bytes = { peer: 0, box: 0, http: 0, own: 0 };
    this.fetching = new Set(); // pieces being fetched over HTTP
  }

  get complete() {
    return this.held === this.count;
  }

  has(i) {
    return this.pieces[i] !== null;
  }

  pieceSize(i) {
    return Math.min(this.pieceLength, this.length - i * this.pieceLength);
  }

  blockCount(i) {
    return Math.ceil(this.pieceSize(i) / BLOCK);
  }

  /** [begin, length] of block `b` of piece `i`. */
  blockRange(i, b) {
    const begin = b * BLOCK;
    return [begin, Math.min(BLOCK, this.pieceSize(i) - begin)];
  }

  /** Whether block `b` of piece `i` is already here (held piece or received block). */
  hasBlock(i, b) {
    return this.has(i) || !!this.partial.get(i)?.got[b];
  }

  /**
   * Adds a received block from `link` (source 'peer' or 'box'). Returns 'dup', 'unaligned',
   * 'partial' or 'full' (all blocks of the piece are here; verify next).
   */
  addBlock(i, begin, data, link, source) {
    if (this.has(i)) return 'dup';
    const b = begin / BLOCK;
    const [, len] = Number.isInteger(b) ? this.blockRange(i, b) : [0, -1];
    if (data.length !== len) return 'unaligned';
    let p = this.partial.get(i);
    if (!p) {
      p = { buf: new Uint8Array(this.pieceSize(i)), got: new Uint8Array(this.blockCount(i)), left: this.blockCount(i), from: new Map() };
      this.partial.set(i, p);
    }
    if (p.got[b]) return 'dup';
    p.buf.set(data, begin);
    p.got[b] = 1;
    p.left--;
    const prev = p.from.get(link);
    p.from.set(link, { source, bytes: (prev?.bytes || 0) + data.length });
    return p.left === 0 ? 'full' : 'partial';
  }

  /**
   * Checks the assembled piece `i` against its hash: on success it is held and the result lists
   * the contributing links; on failure it is discarded. Returns {ok, from}.
   */
  verifyPartial(i) {
    const p = this.partial.get(i);
    this.partial.delete(i);
    const from = p ? p.from : new Map();
    if (!p || !this.put(i, p.buf, null)) return { ok: false, from };
    for (const { source, bytes } of from.values()) this.bytes[source] += bytes;
    return { ok: true, from };
  }

  /** Stores whole piece `i` if its SHA-1 matches; `source` ('http', 'own') counts its bytes. */
  put(i, data, source) {
    if (this.has(i)) return false;
    if (data.length !== this.pieceSize(i) || !sameBytes(sha1(data), this.hashes[i])) return false;
    this.pieces[i] = data;
    this.held++;
    this.partial.delete(i);
    if (source) this.bytes[source] += data.length;
    return true;
  }

  /** Indices of held pieces. */
  heldPieces() {
    const out = [];
    for (let i = 0; i < this.count; i++) if (this.pieces[i]) out.push(i);
    return out;
  }

  /** The segment's bytes (only when complete). */
  assemble() {
    const out = new Uint8Array(this.length);
    for (let i = 0; i < this.count; i++) out.set(this.pieces[i], i * this.pieceLength);
    return out;
  }
}
