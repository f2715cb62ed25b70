// Signaling messages (docs/SIGNALING.md): validates what the box sends and builds what the
// viewer sends. Anything malformed throws SignalMessageError and is dropped by the caller.

/** Protocol version the viewer speaks. */
export const VERSION = 1;
/** Largest message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 1 << 20;
const MAX_TORRENT_B64 = 88 * 1024;
const MAX_SEGMENTS = 256;

/** A message that does not follow the protocol. */
export class SignalMessageError extends Error {
  constructor(field, why) {
    super(`signal: ${field}: ${why}`);
    this.name = 'SignalMessageError';
  }
}

function need(ok, field, why) {
  if (!ok) throw new SignalMessageError(field, why);
}

function url(value, field, optional) {
  if (optional && (value === undefined || value === null)) return null;
  need(typeof value === 'string' && value.length <= 2048, field, 'not a string URL');
  need(/^(https?:\/\/[^\s"<>\\]+|\/(?!\/)[^\s"<>\\]*)$/i.test(value), field, 'not an acceptable URL');
  return value;
}

function wsUrl(value) {
  if (value === undefined || value === null) return null;
  need(typeof value === 'string' && value.length <= 2048, 'tracker', 'not a string URL');
  need(/^wss?:\/\/[^\s"<>\\]+$/i.test(value), 'tracker', 'not a ws:// or wss:// URL');
  return value;
}

function base64(text) {
  need(typeof text === 'string' && text.length <= MAX_TORRENT_B64, 'torrent', 'missing or too large');
  need(/^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0, 'torrent', 'not base64');
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Validates one segment announcement into the viewer's own shape. */
export function parseSegment(m) {
  need(m && typeof m === 'object', 'segment', 'not an object');
  need(Number.isSafeInteger(m.seq) && m.seq >= 0, 'seq', 'not a sequence number');
  need(typeof m.name === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(m.name), 'name', 'bad name');
  need(typeof m.duration === 'number' && m.duration > 0 && m.duration <= 60, 'duration', 'out of range');
  need(typeof m.info_hash === 'string' && /^[0-9a-f]{40}$/.test(m.info_hash), 'info_hash', 'not 40 hex');
  return {
    seq: m.seq,
    name: m.name,
    duration: m.duration,
    url: url(m.url ?? `/hls/${m.name}`, 'url', false),
    r2Url: url(m.r2_url, 'r2_url', true),
    infoHash: m.info_hash,
    torrent: base64(m.torrent),
    discontinuity: m.discontinuity === true,
  };
}

/** Parses a text frame from the box into `{type, ...}`; unknown types come back as `{type}`. */
export function parseMessage(text) {
  need(typeof text === 'string' && text.length <= MAX_MESSAGE_CHARS, 'message', 'too large or not text');
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    throw new SignalMessageError('message', 'not JSON');
  }
  need(m && typeof m === 'object' && !Array.isArray(m), 'message', 'not an object');
  need(m.v === VERSION, 'v', `not version ${VERSION}`);
  need(typeof m.type === 'string', 'type', 'missing');
  switch (m.type) {
    case 'hello': {
      const segs = m.segments ?? [];
      need(Array.isArray(segs) && segs.length <= MAX_SEGMENTS, 'segments', 'not a bounded list');
      return { type: 'hello', tracker: wsUrl(m.tracker), segments: segs.map(parseSegment) };
    }
    case 'segment':
      return { type: 'segment', segment: parseSegment(m) };
    case 'discontinuity':
    case 'end':
      return { type: m.type };
    default:
      return { type: m.type };
  }
}

/** The stats report the viewer sends (figures as the overlay shows them). */
export function statsMessage(s) {
  return JSON.stringify({
    v: VERSION,
    type: 'stats',
    p2p_bytes: s.p2pBytes,
    box_bytes: s.boxBytes,
    r2_bytes: s.r2Bytes,
    upload_bytes: s.uploadBytes,
    p2p_share: s.p2pShare,
    peers: s.peers,
    buffer_secs: s.bufferS,
    latency_secs: s.latencyS,
    stalls: s.stalls,
    stall_secs: s.stallS,
  });
}
