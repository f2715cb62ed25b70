// The page's wiring of the live mesh, DOM-free: MeshSession (the real MeshEngine, links over
// in-memory data channels, a real HTTP server with Range as box and R2), the counted
// RTCPeerConnection, and the fragment loader's choice between the mesh and plain HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import createTorrent from 'create-torrent';
import { MeshSession, newPeerId, PEER_ID_PREFIX } from '../src/mesh-session.js';
import { countingPeerConnection } from '../src/rtc-count.js';
import { makeFragmentLoader } from '../src/loader.js';
import { parseTorrent } from '../src/torrent-meta.js';
import { Stats } from '../src/stats.js';
import { channelPair, hexId, until } from './mesh-helpers.js';

const PIECE = 16384;
const SWARM = { infoHash: 'e0'.repeat(20), neighbours: 6 };
const sessions = [];
const servers = [];

after(async () => {
  for (const s of sessions) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

function torrentOf(name, data) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.from(data);
    buf.name = name;
    createTorrent(buf, { name, pieceLength: PIECE }, (err, t) => (err ? reject(err) : resolve(new Uint8Array(t))));
  });
}

/** A window segment as signal-msg.js makes it, with its bytes (`data`). */
async function segment(seq, length = 10 * PIECE + 1000) {
  const name = `seg-${seq}.ts`;
  const data = new Uint8Array(randomBytes(length));
  const torrent = await torrentOf(name, data);
  const r2 = `http://127.0.0.1:${r2Port}/r2/${name}`;
  return { seq, name, duration: 2, url: `/hls/${name}`, r2Url: r2, infoHash: parseTorrent(torrent).infoHash, torrent, data };
}

/** Serves `files` (path -> bytes) with Range; `refuse` paths answer 404; counts requests by path. */
function server(files, refuse = new Set()) {
  const s = http.createServer((req, res) => {
    s.requests.set(req.url, (s.requests.get(req.url) || 0) + 1);
    const data = files.get(req.url);
    if (!data || refuse.has(req.url)) return res.writeHead(404).end();
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range || '');
    if (!m) return res.writeHead(200).end(data);
    res.writeHead(206).end(data.subarray(Number(m[1]), Number(m[2]) + 1));
  });
  s.requests = new Map();
  servers.push(s);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

const files = new Map();
const refused = new Set();
const box = await server(files, refused);
const r2 = await server(files);
const r2Port = r2.address().port;
const baseUrl = `http://127.0.0.1:${box.address().port}/`;

function publish(seg) {
  files.set(seg.url, seg.data);
  files.set(new URL(seg.r2Url).pathname, seg.data);
}

function session(peerId = newPeerId(), extra = {}) {
  const stats = new Stats();
  const s = new MeshSession({ swarm: SWARM, trackerUrl: 'ws://127.0.0.1:1/announce', stats, baseUrl, peerId, ...extra });
  sessions.push(s);
  return s;
}

/** Links two sessions' engines over an in-memory data channel pair. */
async function link(a, b) {
  const [x, y] = channelPair();
  a.engine.addChannel(x, { initiator: true });
  b.engine.addChannel(y, { initiator: false });
  await until(() => a.engine.snapshot().linksOpen > 0 && b.engine.snapshot().linksOpen > 0, 5000);
}

test('the peer id is 40 hex digits with the viewer prefix, never the box seeder prefix', () => {
  const ids = new Set(Array.from({ length: 50 }, () => newPeerId()));
  assert.equal(ids.size, 50);
  const prefixHex = Buffer.from(PEER_ID_PREFIX).toString('hex');
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{40}$/);
    assert.ok(id.startsWith(prefixHex));
    assert.ok(!id.startsWith('2d5642'), 'not -VB');
  }
});

test('the counted RTCPeerConnection counts every connection made and those not yet closed', () => {
  class FakePc {
    constructor(config) {
      this.config = config;
      this.closes = 0;
    }
    close() {
      this.closes++;
    }
  }
  const { Ctor, counts } = countingPeerConnection(FakePc);
  const a = new Ctor({ iceServers: [] });
  const b = new Ctor({});
  assert.ok(a instanceof FakePc);
  assert.deepEqual(a.config, { iceServers: [] });
  assert.deepEqual(counts, { created: 2, open: 2 });
  a.close();
  a.close();
  assert.equal(a.closes, 2, 'the real close runs each time');
  assert.deepEqual(counts, { created: 2, open: 1 });
  b.close();
  assert.deepEqual(counts, { created: 2, open: 0 });
});

test('alone (no neighbour) a segment comes over HTTP at once, in runs, verified and held for the mesh', async () => {
  const seg = await segment(1);
  publish(seg);
  const s = session();
  s.keep([seg]);
  assert.ok(s.holds(seg));
  const before = box.requests.get(seg.url) || 0;
  const r = await s.getSegment(seg, { waitMs: 3000 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  assert.equal(box.requests.get(seg.url) - before, 1, 'one Range request for the one run of 11 pieces');
  assert.equal(r.httpRun.pieces, 11);
  assert.equal(s.stats.bytes.box, seg.data.length);
  assert.deepEqual(s.stats.segments, { p2pOnly: 0, mixed: 0, httpOnly: 1 });
  assert.ok(s.engine.segments.get(1).complete, 'held, so it can be forwarded');
});

test('a neighbour gets the segment through the mesh: bytes from other viewers, P2P share, upload', async () => {
  const seg = await segment(2);
  publish(seg);
  const [a, b] = [session(), session()];
  for (const s of [a, b]) s.keep([seg]);
  await link(a, b);
  await a.getSegment(seg, { waitMs: 0 }); // a fetches it (empty buffer: at once) and forwards it
  const before = box.requests.get(seg.url);
  const r = await b.getSegment(seg, { waitMs: 5000 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  assert.equal(box.requests.get(seg.url), before, 'b asked the box for nothing');
  const snap = b.stats.snapshot(0, { peers: 1, bufferS: 0, latencyS: null });
  assert.equal(snap.peerBytes, seg.data.length);
  assert.equal(snap.p2pBytes, seg.data.length);
  assert.equal(snap.seederBytes + snap.boxBytes + snap.r2Bytes, 0);
  assert.equal(snap.p2pShare, 1);
  assert.deepEqual(b.stats.segments, { p2pOnly: 1, mixed: 0, httpOnly: 0 });
  a.figures(); // what the page's snapshot calls: the engine's counters move into Stats
  assert.equal(a.stats.uploadBytes, seg.data.length);
  assert.ok(b.recentlyDelivered(1000));
  assert.equal(b.figures().linksOpen, 1);
});

test("bytes from the box's WebRTC seeder (peer id -VB...) are box egress, not P2P", async () => {
  const seg = await segment(3);
  const boxPeer = session(hexId('-VB0001-'));
  const v = session();
  for (const s of [boxPeer, v]) s.keep([seg]);
  await link(boxPeer, v);
  boxPeer.engine.seedSegment(3, seg.data);
  const r = await v.getSegment(seg, { waitMs: 5000 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  const snap = v.stats.snapshot(0, { peers: 1, bufferS: 0, latencyS: null });
  assert.equal(snap.seederBytes, seg.data.length);
  assert.equal(snap.peerBytes, 0);
  assert.equal(snap.p2pShare, 0);
  assert.equal(snap.boxEgressBytes, seg.data.length);
  assert.equal(v.figures().boxLinks, 1);
});

test('pieces missing at the deadline are fetched over HTTP by the engine, box then R2, verified', async () => {
  const seg = await segment(4, 6 * PIECE);
  publish(seg);
  refused.add(seg.url); // the box refuses: R2 serves
  const [a, b] = [session(), session()];
  for (const s of [a, b]) s.keep([seg]);
  await link(a, b);
  for (let i = 0; i < 3; i++) a.engine.seedPiece(4, i, seg.data.subarray(i * PIECE, (i + 1) * PIECE));
  const r = await b.getSegment(seg, { waitMs: 300 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  assert.equal(b.stats.bytes.peer, 3 * PIECE);
  assert.equal(b.stats.bytes.r2, 3 * PIECE, 'the three missing pieces, one Range request each');
  assert.equal(b.stats.bytes.box, 0);
  assert.equal(r.httpRun, null, 'a staggered fill does not feed the HTTP estimate');
  assert.deepEqual(b.stats.segments, { p2pOnly: 0, mixed: 1, httpOnly: 0 });
  refused.delete(seg.url);
});

test("keep() follows signaling's window: removals, and a seq reused with another torrent", async () => {
  const [s5, s6] = [await segment(5), await segment(6)];
  const s = session();
  s.keep([s5, s6]);
  assert.deepEqual([...s.engine.segments.keys()].sort(), [5, 6]);
  s.keep([s6]);
  assert.deepEqual([...s.engine.segments.keys()], [6]);
  const other = { ...(await segment(6)), seq: 6 }; // a restarted box reusing seq 6
  s.keep([other]);
  assert.ok(s.holds(other));
  assert.ok(!s.holds(s6));
  assert.equal(s.engine.segments.get(6).hashes[0].toString(), parseTorrent(other.torrent).hashes[0].toString());
  s.keep([{ ...other, torrent: null, infoHash: null }]);
  assert.equal(s.engine.segments.size, 0, 'a segment without a torrent is not in the mesh');
  assert.ok(s.matches(SWARM, 'ws://127.0.0.1:1/announce'));
  assert.ok(!s.matches({ ...SWARM, infoHash: 'e1'.repeat(20) }, 'ws://127.0.0.1:1/announce'));
  assert.ok(!s.matches(SWARM, 'ws://elsewhere/announce'));
});

test('with RTCPeerConnection the session announces the stream swarm to the tracker with the counted constructor', async () => {
  const announces = [];
  const tracker = http.createServer();
  const { WebSocketServer } = await import('ws'); // comes with bittorrent-tracker
  const wss = new WebSocketServer({ server: tracker });
  wss.on('connection', (ws) => ws.on('message', (m) => announces.push(JSON.parse(String(m)))));
  await new Promise((r) => tracker.listen(0, '127.0.0.1', r));
  servers.push(tracker);
  const made = [];
  class Pc {
    constructor() {
      made.push(this);
      this.iceGatheringState = 'complete';
    }
    createDataChannel() {
      return { addEventListener() {}, close() {} };
    }
    addEventListener() {}
    removeEventListener() {}
    async createOffer() {
      return { type: 'offer', sdp: 'v=0 fake' };
    }
    async setLocalDescription(d) {
      this.localDescription = d;
    }
    close() {}
  }
  const counted = countingPeerConnection(Pc);
  const s = session(newPeerId(), { trackerUrl: `ws://127.0.0.1:${tracker.address().port}/announce`, RTCPeerConnection: counted.Ctor });
  await until(() => announces.length > 0, 5000);
  const a = announces[0];
  assert.equal(a.action, 'announce');
  assert.equal(Buffer.from(a.info_hash, 'latin1').toString('hex'), SWARM.infoHash);
  assert.equal(Buffer.from(a.peer_id, 'latin1').toString('hex'), s.peerId);
  assert.ok(counted.counts.created >= 1 && counted.counts.created === made.length, 'offers use the counted constructor');
  s.destroy();
  for (const c of wss.clients) c.terminate();
  wss.close();
});

test('the loader takes mesh segments from the mesh and falls back to plain HTTP when the mesh fails', async () => {
  class HttpLoaderLike {
    load(context, config, callbacks) {
      HttpLoaderLike.loads.push(context.url);
      callbacks.onSuccess({ url: context.url, data: new ArrayBuffer(3) }, { loading: {} }, context, null);
    }
    destroy() {}
  }
  HttpLoaderLike.loads = [];
  const seg = { seq: 7, name: 'seg-7.ts', torrent: new Uint8Array(1), infoHash: 'ab'.repeat(20) };
  const asked = [];
  let fail = false;
  const mesh = {
    holds: (s) => s === seg,
    getSegment(s, opts) {
      asked.push(opts.waitMs);
      if (fail) return Promise.reject(Object.assign(new Error('segment left the window'), { code: 'removed' }));
      return Promise.resolve({ data: new Uint8Array([1, 2, 3, 4]), count: 1, p2pPieces: 1, httpPieces: 0, httpRun: null });
    },
  };
  const stats = new Stats();
  const loaded = [];
  const app = {
    mesh,
    stats,
    baseUrl: 'http://box/',
    httpSource: 'box',
    segmentForUrl: (url) => (url.endsWith('seg-7.ts') ? seg : null),
    p2pWaitMs: () => 1234,
    segmentLoaded: (r) => loaded.push(r),
  };
  const Loader = makeFragmentLoader({ DefaultConfig: { loader: HttpLoaderLike } }, app);
  const load = (url) =>
    new Promise((resolve, reject) => {
      new Loader({}).load({ url }, { loadPolicy: {} }, { onSuccess: (res) => resolve(res), onError: reject, onTimeout: reject, onAbort: reject });
    });
  const viaMesh = await load('http://box/hls/seg-7.ts');
  assert.equal(viaMesh.data.byteLength, 4);
  assert.deepEqual(asked, [1234], "the deadline is deadline.js's wait");
  assert.equal(loaded.length, 1);
  assert.deepEqual(HttpLoaderLike.loads, []);
  fail = true;
  const fallback = await load('http://box/hls/seg-7.ts');
  assert.equal(fallback.data.byteLength, 3);
  assert.deepEqual(HttpLoaderLike.loads, ['http://box/hls/seg-7.ts']);
  assert.equal(stats.bytes.box, 3, 'plain HTTP bytes are counted');
  await load('http://box/hls/init.mp4');
  assert.equal(asked.length, 2, 'a segment the mesh does not hold never asks it');
});
