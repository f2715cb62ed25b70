// STAND-IN for the box's seeder and /signal until they land on main: follows the box's
// /api/status, seeds every window segment as a one-file torrent with the real npm webtorrent
// 3.0.21 (peer id `-VB0001-`, like the box's seeder) over @roamhq/wrtc, and speaks the
// signaling protocol of docs/SIGNALING.md (hello, segment, discontinuity, removed; viewers'
// stats reports validated field by field and kept for GET /reports).
// Usage: node signal-seeder.mjs BOX_URL TRACKER_URL HOST PORT
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import WebTorrent from 'webtorrent';
import { WebSocketServer } from 'ws';

const [boxUrl, trackerUrl, host, port] = process.argv.slice(2);
const peerId = Buffer.concat([Buffer.from('-VB0001-'), Buffer.from(randomBytes(6).toString('hex'))]);
const client = new WebTorrent({ peerId, dht: false, lsd: false, utPex: false, tracker: { rtcConfig: { iceServers: [] } } });
client.on('error', (e) => console.error('seeder:', e.message));
const window = new Map(); // name -> { msg, torrent }
const reports = new Map(); // connection id -> last stats message
let pending = new Set();
let nextConn = 1;
let invalid = 0;

/** Piece length as the box chooses it: a power of two >= 16 KiB giving at most 64 pieces. */
function pieceLength(len) {
  let p = 16384;
  while (Math.ceil(len / p) > 64) p *= 2;
  return p;
}

function seed(item) {
  return new Promise((resolve, reject) => {
    fetch(`${boxUrl}/hls/${item.name}`).then(async (res) => {
      if (!res.ok) return reject(new Error(`HTTP ${res.status} for ${item.name}`));
      const data = Buffer.from(await res.arrayBuffer());
      data.name = item.name;
      const opts = { name: item.name, pieceLength: pieceLength(data.length), announce: [trackerUrl] };
      client.seed(data, opts, (t) => resolve(t));
    }, reject);
  });
}

function segmentMessage(item, t) {
  return {
    v: 1, type: 'segment', seq: item.seq, name: item.name, duration: item.duration, bytes: item.bytes,
    discontinuity: item.discontinuity, program_date_time: item.program_date_time ?? null,
    url: `/hls/${item.name}`, r2_url: null, info_hash: t.infoHash,
    torrent: Buffer.from(t.torrentFile).toString('base64'), init: null,
  };
}

const STATS_FIELDS = ['v', 'type', 'bytes_p2p', 'bytes_http', 'bytes_r2', 'peers', 'buffer_secs', 'latency_secs', 'stalls'];

/** Checks a viewer's stats report as the box does: exactly the documented fields, in range. */
function validStats(m) {
  const keys = Object.keys(m);
  const counters = ['bytes_p2p', 'bytes_http', 'bytes_r2', 'peers', 'stalls'].every((k) => Number.isSafeInteger(m[k]) && m[k] >= 0);
  const secs = (x) => x === null || (typeof x === 'number' && x >= 0 && x <= 3600);
  return keys.length === STATS_FIELDS.length && keys.every((k) => STATS_FIELDS.includes(k)) && counters &&
    typeof m.buffer_secs === 'number' && secs(m.buffer_secs) && secs(m.latency_secs);
}

function broadcast(msg) {
  const text = JSON.stringify(msg);
  for (const ws of wss.clients) if (ws.readyState === 1) ws.send(text);
}

async function follow() {
  let status;
  try {
    status = await (await fetch(`${boxUrl}/api/status`)).json();
  } catch {
    return;
  }
  const items = status.window.items;
  const names = new Set(items.map((i) => i.name));
  for (const [name, s] of window) {
    if (!names.has(name)) {
      window.delete(name);
      s.torrent.destroy();
      broadcast({ v: 1, type: 'removed', seq: s.msg.seq, name });
    }
  }
  for (const item of items) {
    if (window.has(item.name) || pending.has(item.name)) continue;
    pending.add(item.name);
    try {
      const t = await seed(item);
      const msg = segmentMessage(item, t);
      window.set(item.name, { msg, torrent: t });
      if (item.discontinuity) broadcast({ v: 1, type: 'discontinuity', seq: item.seq });
      broadcast(msg);
    } catch (e) {
      console.error('seed failed:', e.message);
    } finally {
      pending.delete(item.name);
    }
  }
}

const server = http.createServer((req, res) => {
  if (req.url === '/reports') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ invalid, reports: [...reports.values()] }));
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, path: '/signal', maxPayload: 64 * 1024 });
wss.on('connection', (ws) => {
  const id = nextConn++;
  const segments = [...window.values()].map(({ msg: { v, type, ...seg } }) => seg).sort((a, b) => a.seq - b.seq);
  const stream = { state: 'live', container: 'ts', playlist_url: '/hls/live.m3u8', r2_playlist_url: null };
  ws.send(JSON.stringify({ v: 1, type: 'hello', tracker_url: trackerUrl, stats_interval_secs: 5, stream, segments }));
  ws.on('message', (data) => {
    let m = null;
    try {
      m = JSON.parse(String(data));
    } catch {
      // refused below
    }
    if (m && m.v === 1 && m.type === 'stats' && validStats(m)) {
      const all = m.bytes_p2p + m.bytes_http + m.bytes_r2;
      reports.set(id, { id, at: Date.now(), ...m, p2p_share: all ? m.bytes_p2p / all : 0 });
    } else {
      invalid++;
      ws.send(JSON.stringify({ v: 1, type: 'error', code: 'bad_message', message: 'not a valid stats report' }));
    }
  });
});
server.listen(Number(port), host, () => console.log(`signal+seeder stand-in on ws://${host}:${port}/signal`));
let busy = false;
setInterval(async () => {
  if (busy) return;
  busy = true;
  await follow();
  busy = false;
}, 200);
