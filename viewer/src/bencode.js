// A bounded bencode decoder for the torrents signaling hands out: returns values and the byte
// span of the `info` dictionary (whose SHA-1 is the info hash). Throws BencodeError on garbage.

/** Malformed or oversized bencode. */
export class BencodeError extends Error {
  constructor(message, offset) {
    super(`bencode: ${message} at byte ${offset}`);
    this.name = 'BencodeError';
  }
}

const MAX_DEPTH = 16;
const MAX_ITEMS = 65536;

/**
 * Decodes one value occupying all of `bytes`. Byte strings stay Uint8Array; dictionaries become
 * Maps keyed by latin-1 strings; `spans` (optional Map) receives `key -> [start, end]` of each
 * top-level dictionary value.
 */
export function decode(bytes, spans) {
  const st = { bytes, pos: 0, items: 0, spans };
  const value = next(st, 0);
  if (st.pos !== bytes.length) throw new BencodeError('trailing bytes', st.pos);
  return value;
}

function next(st, depth) {
  if (depth > MAX_DEPTH) throw new BencodeError('nested too deep', st.pos);
  if (++st.items > MAX_ITEMS) throw new BencodeError('too many items', st.pos);
  const c = st.bytes[st.pos];
  if (c === 0x69) return integer(st);
  if (c === 0x6c) return list(st, depth);
  if (c === 0x64) return dict(st, depth);
  if (c >= 0x30 && c <= 0x39) return string(st);
  throw new BencodeError(c === undefined ? 'unexpected end' : 'unexpected byte', st.pos);
}

function digitsUntil(st, end) {
  const start = st.pos;
  while (st.pos < st.bytes.length && st.bytes[st.pos] !== end) st.pos++;
  if (st.pos >= st.bytes.length || st.pos - start > 15) throw new BencodeError('bad number', start);
  const text = String.fromCharCode(...st.bytes.subarray(start, st.pos));
  st.pos++;
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new BencodeError('bad number', start);
  return Number(text);
}

function integer(st) {
  st.pos++;
  return digitsUntil(st, 0x65);
}

function string(st) {
  const len = digitsUntil(st, 0x3a);
  if (len < 0 || st.pos + len > st.bytes.length) throw new BencodeError('string past end', st.pos);
  const s = st.bytes.subarray(st.pos, st.pos + len);
  st.pos += len;
  return s;
}

function list(st, depth) {
  st.pos++;
  const out = [];
  while (st.bytes[st.pos] !== 0x65) out.push(next(st, depth + 1));
  st.pos++;
  return out;
}

function dict(st, depth) {
  const top = depth === 0 && st.spans;
  st.pos++;
  const out = new Map();
  while (st.bytes[st.pos] !== 0x65) {
    if (st.pos >= st.bytes.length) throw new BencodeError('unexpected end', st.pos);
    const key = String.fromCharCode(...string(st));
    const start = st.pos;
    out.set(key, next(st, depth + 1));
    if (top) st.spans.set(key, [start, st.pos]);
  }
  st.pos++;
  return out;
}
