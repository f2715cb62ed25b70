// Reads what the viewer needs from a segment's single-file torrent (name, length, piece length,
// SHA-1 of each piece) and checks it against the info hash signaling announced.
import { decode } from './bencode.js';
import { sha1, toHex } from './sha1.js';

/** A torrent that does not describe one segment or does not match its info hash. */
export class TorrentError extends Error {
  constructor(message) {
    super(`torrent: ${message}`);
    this.name = 'TorrentError';
  }
}

const MAX_PIECES = 4096;

/** Parses `bytes` (a bencoded .torrent); `infoHashHex`, when given, must match. */
export function parseTorrent(bytes, infoHashHex) {
  const spans = new Map();
  const root = decode(bytes, spans);
  const info = root instanceof Map ? root.get('info') : null;
  if (!(info instanceof Map)) throw new TorrentError('no info dictionary');
  const [start, end] = spans.get('info');
  const infoHash = toHex(sha1(bytes.subarray(start, end)));
  if (infoHashHex && infoHash !== infoHashHex) throw new TorrentError('info hash mismatch');
  const length = info.get('length');
  const pieceLength = info.get('piece length');
  const pieces = info.get('pieces');
  const name = info.get('name');
  if (!Number.isSafeInteger(length) || length <= 0) throw new TorrentError('bad length');
  if (!Number.isSafeInteger(pieceLength) || pieceLength < 1024) throw new TorrentError('bad piece length');
  if (!(pieces instanceof Uint8Array) || !(name instanceof Uint8Array)) throw new TorrentError('bad pieces or name');
  const count = Math.ceil(length / pieceLength);
  if (count > MAX_PIECES || pieces.length !== count * 20) throw new TorrentError('piece hashes do not fit the length');
  const hashes = [];
  for (let i = 0; i < count; i++) hashes.push(pieces.subarray(i * 20, i * 20 + 20));
  return { infoHash, name: new TextDecoder().decode(name), length, pieceLength, hashes };
}

/** Byte range [start, end) of piece `index`. */
export function pieceRange(meta, index) {
  const start = index * meta.pieceLength;
  return [start, Math.min(start + meta.pieceLength, meta.length)];
}

/** The torrent metadata of an announced segment, parsed and checked against its info hash once. */
export function metaOf(seg) {
  if (!seg.meta) seg.meta = parseTorrent(seg.torrent, seg.infoHash);
  return seg.meta;
}
