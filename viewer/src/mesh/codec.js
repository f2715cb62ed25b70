// Live payloads of the stream swarm's `vb_live` extension (docs/LIVE-MESH.md, "The wire"): one
// type byte, then big-endian fixed fields. Pure and DOM-free; the Rust codec in
// appliance/proto/src/live/ speaks the same bytes (shared vectors in
// appliance/proto/testdata/live/vectors.json). Errors carry the spec's code in `err.code`.

/** Most pieces a segment may have (a `piece` index is below this). */
export const MAX_PIECES = 1024;
/** Largest block (and request) length. */
export const MAX_BLOCK = 16384;
/** Largest `seq`: 2^53 - 1, exact in a JavaScript number. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** Type byte of each message. */
export const TYPES = Object.freeze({ have: 1, have_piece: 2, request: 3, cancel: 4, block: 5, reject: 6, gone: 7 });
const NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));
/** Messages made of seq, piece, begin, length. */
const RANGE_TYPES = new Set(['request', 'cancel', 'reject']);

const HEAD = 9; // type + seq
const PIECE_HEAD = 11; // + piece (or count)
const RANGE_LEN = 19; // + begin + length
const BLOCK_HEAD = 15; // + begin

/** A live payload that breaks the spec; `code` is one of the spec's error names. */
export class LiveCodecError extends Error {
  constructor(code, detail) {
    super(`vb_live: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'LiveCodecError';
    this.code = code;
  }
}

function fail(code, detail) {
  throw new LiveCodecError(code, detail);
}

// ---- decoding ----

/** Decodes one live payload (a Uint8Array); throws LiveCodecError. Block data is a view. */
export function decode(bytes) {
  if (!bytes || bytes.length === 0) fail('empty');
  const type = NAMES[bytes[0]];
  if (!type) fail('unknown_type', `type ${bytes[0]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === 'have') return decodeHave(bytes, view);
  if (type === 'block') return decodeBlock(bytes, view);
  const want = type === 'gone' ? HEAD : type === 'have_piece' ? PIECE_HEAD : RANGE_LEN;
  if (bytes.length !== want) fail('bad_length', `${type}: ${bytes.length} bytes, want ${want}`);
  const seq = readSeq(view);
  if (type === 'gone') return { type, seq };
  const piece = readPiece(view);
  if (type === 'have_piece') return { type, seq, piece };
  const begin = view.getUint32(11);
  const length = view.getUint32(15);
  if (length === 0 || length > MAX_BLOCK) fail('bad_block_length', `length ${length}`);
  return { type, seq, piece, begin, length };
}

function readSeq(view) {
  const hi = view.getUint32(1);
  if (hi > 0x1fffff) fail('seq_out_of_range');
  return hi * 2 ** 32 + view.getUint32(5);
}

function readPiece(view) {
  const piece = view.getUint16(9);
  if (piece >= MAX_PIECES) fail('too_many_pieces', `piece ${piece}`);
  return piece;
}

function decodeHave(bytes, view) {
  if (bytes.length < PIECE_HEAD) fail('bad_length', `have: ${bytes.length} bytes`);
  const count = view.getUint16(9);
  if (count > MAX_PIECES) fail('too_many_pieces', `count ${count}`);
  const want = PIECE_HEAD + Math.ceil(count / 8);
  if (bytes.length !== want) fail('bad_length', `have: ${bytes.length} bytes, want ${want}`);
  const seq = readSeq(view);
  const bitfield = bytes.subarray(PIECE_HEAD);
  if (count % 8 && bitfield[bitfield.length - 1] & (0xff >> (count % 8))) fail('spare_bits');
  const pieces = [];
  for (let i = 0; i < count; i++) if (bitfield[i >> 3] & (0x80 >> (i & 7))) pieces.push(i);
  return { type: 'have', seq, count, pieces };
}

function decodeBlock(bytes, view) {
  if (bytes.length < BLOCK_HEAD) fail('bad_length', `block: ${bytes.length} bytes`);
  const data = bytes.subarray(BLOCK_HEAD);
  if (data.length === 0 || data.length > MAX_BLOCK) fail('bad_block_length', `data ${data.length}`);
  const seq = readSeq(view);
  const piece = readPiece(view);
  return { type: 'block', seq, piece, begin: view.getUint32(11), data };
}

// ---- encoding ----

/**
 * Encodes one message (the shape `decode` returns; a `have` takes `count` and `pieces` indices)
 * into a Uint8Array; throws LiveCodecError for values the spec does not allow.
 */
export function encode(msg) {
  const type = msg?.type;
  if (!Object.hasOwn(TYPES, type)) fail('unknown_type', String(type));
  checkSeq(msg.seq);
  if (type === 'gone') return head(type, msg.seq, HEAD).bytes;
  if (type === 'have') return encodeHave(msg);
  checkPiece(msg.piece);
  if (type === 'have_piece') {
    const { bytes, view } = head(type, msg.seq, PIECE_HEAD);
    view.setUint16(9, msg.piece);
    return bytes;
  }
  checkU32(msg.begin, 'begin');
  if (type === 'block') return encodeBlock(msg);
  if (!RANGE_TYPES.has(type)) fail('unknown_type', type);
  checkBlockLength(msg.length);
  const { bytes, view } = head(type, msg.seq, RANGE_LEN);
  view.setUint16(9, msg.piece);
  view.setUint32(11, msg.begin);
  view.setUint32(15, msg.length);
  return bytes;
}

function head(type, seq, length) {
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes[0] = TYPES[type];
  view.setUint32(1, Math.floor(seq / 2 ** 32));
  view.setUint32(5, seq % 2 ** 32);
  return { bytes, view };
}

function encodeHave(msg) {
  const count = msg.count;
  if (!Number.isInteger(count) || count < 0) fail('bad_length', 'count');
  if (count > MAX_PIECES) fail('too_many_pieces', `count ${count}`);
  const { bytes, view } = head('have', msg.seq, PIECE_HEAD + Math.ceil(count / 8));
  view.setUint16(9, count);
  for (const i of msg.pieces || []) {
    if (!Number.isInteger(i) || i < 0 || i >= count) fail('spare_bits', `piece ${i} of ${count}`);
    bytes[PIECE_HEAD + (i >> 3)] |= 0x80 >> (i & 7);
  }
  return bytes;
}

function encodeBlock(msg) {
  const data = msg.data;
  if (!(data instanceof Uint8Array)) fail('bad_block_length', 'no data');
  checkBlockLength(data.length);
  const { bytes, view } = head('block', msg.seq, BLOCK_HEAD + data.length);
  view.setUint16(9, msg.piece);
  view.setUint32(11, msg.begin);
  bytes.set(data, BLOCK_HEAD);
  return bytes;
}

function checkSeq(seq) {
  if (!Number.isSafeInteger(seq) || seq < 0) fail('seq_out_of_range', String(seq));
}

function checkPiece(piece) {
  if (!Number.isInteger(piece) || piece < 0 || piece >= MAX_PIECES) fail('too_many_pieces', `piece ${piece}`);
}

function checkU32(x, what) {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) fail('bad_length', what);
}

function checkBlockLength(n) {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BLOCK) fail('bad_block_length', `length ${n}`);
}

/** A `have` message's fields from a piece-holding predicate. */
export function haveOf(seq, count, has) {
  const pieces = [];
  for (let i = 0; i < count; i++) if (has(i)) pieces.push(i);
  return { type: 'have', seq, count, pieces };
}
