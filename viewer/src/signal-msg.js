// Signaling messages, version 1 (docs/SIGNALING.md): validates what the box sends into the
// viewer's own shapes and builds the stats report. Unknown types and unknown fields are errors,
// as the protocol says; anything malformed throws SignalMessageError and is dropped.

/** Protocol version the viewer speaks. */
export const VERSION = 1;
/** Largest box message accepted, in characters (the box sends at most 8 MiB). */
export const MAX_MESSAGE_CHARS = 8 << 20;
const MAX_TORRENT_B64 = Math.ceil((64 * 1024) / 3) * 4;
const MAX_SEGMENTS = 256;
const SEGMENT_FIELDS = ['v', 'type', 'seq', 'name', 'duration', 'bytes', 'discontinuity', 'program_date_time',
  'url', 'r2_url', 'info_hash', 'torrent', 'init'];

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

function onlyFields(m, allowed, what) {
  for (const k of Object.keys(m)) need(allowed.includes(k), what, `unknown field ${k}`);
}

const isObject = (m) => !!m && typeof m === 'object' && !Array.isArray(m);
const isSeq = (x) => Number.isSafeInteger(x) && x >= 0;
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const URL_CHARS = /^[\x21-\x7e]+$/;

/** `kind`: 'path' (relative to the page's origin), 'http' (absolute) or 'ws'. */
function url(value, field, kind, nullable) {
  if (nullable && value === null) return null;
  need(typeof value === 'string' && value.length <= 2048 && URL_CHARS.test(value), field, 'not a URL');
  need(!/["<>\\]/.test(value), field, 'not an acceptable URL');
  const ok = { path: /^\/(?!\/)/, http: /^https?:\/\/./i, ws: /^wss?:\/\/./i }[kind].test(value);
  need(ok, field, `not a ${kind} URL`);
  return value;
}

function base64(text) {
  need(typeof text === 'string' && text.length <= MAX_TORRENT_B64, 'torrent', 'not a string or too large');
  need(/^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0, 'torrent', 'not base64');
  const bin = atob(text);
  need(bin.length >= 2 && bin[0] === 'd' && bin[bin.length - 1] === 'e', 'torrent', 'not a bencoded dictionary');
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function init(m) {
  if (m === null) return null;
  need(isObject(m), 'init', 'not an object');
  onlyFields(m, ['name', 'url', 'r2_url'], 'init');
  need(typeof m.name === 'string' && NAME.test(m.name), 'init.name', 'bad name');
  return { name: m.name, url: url(m.url, 'init.url', 'path'), r2Url: url(m.r2_url, 'init.r2_url', 'http', true) };
}

/** Validates one segment (a `segment` message or a hello entry) into the viewer's shape. */
export function parseSegment(m) {
  need(isObject(m), 'segment', 'not an object');
  onlyFields(m, SEGMENT_FIELDS, 'segment');
  need(isSeq(m.seq), 'seq', 'not a sequence number');
  need(typeof m.name === 'string' && NAME.test(m.name), 'name', 'bad name');
  need(typeof m.duration === 'number' && m.duration > 0 && m.duration <= 3600, 'duration', 'out of range');
  need(m.bytes === undefined || isSeq(m.bytes), 'bytes', 'not a byte count');
  need(m.info_hash === null || (typeof m.info_hash === 'string' && /^[0-9a-f]{40}$/.test(m.info_hash)), 'info_hash', 'not 40 lowercase hex');
  need((m.info_hash === null) === (m.torrent === null), 'torrent', 'info_hash and torrent come together');
  need(typeof m.discontinuity === 'boolean', 'discontinuity', 'not a boolean');
  return {
    seq: m.seq,
    name: m.name,
    duration: m.duration,
    url: url(m.url, 'url', 'path'),
    r2Url: url(m.r2_url, 'r2_url', 'http', true),
    infoHash: m.info_hash,
    torrent: m.torrent === null ? null : base64(m.torrent),
    discontinuity: m.discontinuity,
    init: init(m.init ?? null),
  };
}

function hello(m) {
  onlyFields(m, ['v', 'type', 'tracker_url', 'stats_interval_secs', 'stream', 'segments', 'swarm'], 'hello');
  need(isObject(m.stream), 'stream', 'not an object');
  onlyFields(m.stream, ['state', 'container', 'playlist_url', 'r2_playlist_url'], 'stream');
  need(['waiting', 'live', 'ended'].includes(m.stream.state), 'stream.state', 'unknown state');
  need(Number.isSafeInteger(m.stats_interval_secs) && m.stats_interval_secs >= 1, 'stats_interval_secs', 'bad interval');
  need(Array.isArray(m.segments) && m.segments.length <= MAX_SEGMENTS, 'segments', 'not a bounded list');
  const segments = m.segments.map(parseSegment);
  for (let i = 1; i < segments.length; i++) need(segments[i].seq > segments[i - 1].seq, 'segments', 'not in seq order');
  return {
    type: 'hello',
    tracker: url(m.tracker_url, 'tracker_url', 'ws'),
    statsIntervalS: m.stats_interval_secs,
    state: m.stream.state,
    r2Playlist: url(m.stream.r2_playlist_url ?? null, 'r2_playlist_url', 'http', true),
    segments,
    swarm: swarm(m.swarm ?? null),
  };
}

/** The live mesh's stream swarm (docs/LIVE-MESH.md), or null: play over HTTP. */
function swarm(m) {
  if (m === null) return null;
  need(isObject(m), 'swarm', 'not an object');
  onlyFields(m, ['info_hash', 'neighbours'], 'swarm');
  need(typeof m.info_hash === 'string' && /^[0-9a-f]{40}$/.test(m.info_hash), 'swarm.info_hash', 'not 40 lowercase hex');
  need(Number.isSafeInteger(m.neighbours) && m.neighbours >= 1 && m.neighbours <= 16, 'swarm.neighbours', 'out of range');
  return { infoHash: m.info_hash, neighbours: m.neighbours };
}

/** Parses a text frame from the box into `{type, ...}`. */
export function parseMessage(text) {
  need(typeof text === 'string' && text.length <= MAX_MESSAGE_CHARS, 'message', 'too large or not text');
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    throw new SignalMessageError('message', 'not JSON');
  }
  need(isObject(m), 'message', 'not an object');
  need(m.v === VERSION, 'v', `not version ${VERSION}`);
  switch (m.type) {
    case 'hello':
      return hello(m);
    case 'segment':
      return { type: 'segment', segment: parseSegment(m) };
    case 'discontinuity':
      onlyFields(m, ['v', 'type', 'seq'], 'discontinuity');
      need(isSeq(m.seq), 'seq', 'not a sequence number');
      return { type: 'discontinuity', seq: m.seq };
    case 'removed':
      onlyFields(m, ['v', 'type', 'seq', 'name'], 'removed');
      need(isSeq(m.seq) && typeof m.name === 'string' && NAME.test(m.name), 'removed', 'bad seq or name');
      return { type: 'removed', seq: m.seq, name: m.name };
    case 'end':
      onlyFields(m, ['v', 'type', 'last_seq'], 'end');
      return { type: 'end' };
    case 'error':
      onlyFields(m, ['v', 'type', 'code', 'message'], 'error');
      need(typeof m.code === 'string', 'code', 'missing');
      return { type: 'error', code: m.code, message: String(m.message ?? '') };
    default:
      throw new SignalMessageError('type', 'unknown message type');
  }
}

const clampS = (x) => (x === null || !Number.isFinite(x) ? null : Math.min(3600, Math.max(0, x)));

/**
 * The `stats` report (cumulative counters; exactly the documented fields). Bytes by source, each
 * counted once: `bytes_p2p` other viewers, `bytes_seeder` the box's WebRTC seeder, `bytes_http`
 * the box over HTTP, `bytes_r2` R2; so the box's offload counts other viewers only. `path` is how
 * the page plays; `links` its connections to other viewers and to the box (isolation detection).
 */
export function statsMessage(s) {
  const t = s.mesh?.tries ?? { viewersTried: 0, viewersOpened: 0, boxTried: 0, boxOpened: 0 };
  return JSON.stringify({
    v: VERSION,
    type: 'stats',
    bytes_p2p: s.p2pBytes,
    bytes_http: s.boxBytes ?? s.boxEgressBytes,
    bytes_r2: s.r2Bytes,
    peers: Math.min(10000, s.peers),
    buffer_secs: clampS(s.bufferS) ?? 0,
    latency_secs: clampS(s.latencyS),
    stalls: s.stalls,
    bytes_seeder: s.seederBytes ?? 0,
    path: s.mode === 'mesh' ? 'p2p' : s.mode === 'native HLS' ? 'native' : 'http',
    links: {
      viewers_tried: t.viewersTried,
      viewers_opened: t.viewersOpened,
      viewers_open: Math.min(10000, Math.max(0, (s.mesh?.linksOpen ?? 0) - (s.mesh?.boxLinks ?? 0))),
      box_tried: t.boxTried,
      box_opened: t.boxOpened,
    },
  });
}
