// Engine rules over in-memory data channels: HTTP fill at the deadline with the stagger and only
// for missing pieces, SHA-1 failures close the sender, pushes from the box, `gone`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshEngine } from '../src/mesh/engine.js';
import { LiveLink } from '../src/mesh/wire.js';
import { staggerMs } from '../src/mesh/fill.js';
import { channelPair, makeSegment, hexId, until } from './mesh-helpers.js';

const SWARM = 'e5'.repeat(20);
const PIECE = 16384;
const piece = (seg, i) => seg.data.subarray(i * PIECE, (i + 1) * PIECE);

function engines(bOpts = {}) {
  const a = new MeshEngine({ infoHash: SWARM, peerId: hexId() });
  const b = new MeshEngine({ infoHash: SWARM, peerId: hexId(), ...bOpts });
  const [ca, cb] = channelPair();
  a.addChannel(ca, { initiator: true });
  b.addChannel(cb);
  return [a, b];
}

/** A bare live link to `engine` (a hand-driven peer: the box, or a liar). */
function rawPeer(engine, seg, prefix = '') {
  const [ca, cb] = channelPair();
  engine.addChannel(cb);
  const info = { count: seg.torrent.pieceHashes.length, pieceSize: () => PIECE };
  return new LiveLink({ channel: ca, infoHash: SWARM, peerId: hexId(prefix), segmentInfo: (s) => (s === seg.seq ? info : null) });
}

test('HTTP fill: after the deadline, staggered per piece, only pieces still missing', async (t) => {
  const fetched = [];
  let t0 = 0;
  const seg = makeSegment(900, 20 * PIECE);
  const fetchPiece = async (seq, i) => {
    fetched.push([i, Date.now() - t0]);
    return piece(seg, i);
  };
  const [a, b] = engines({ fetchPiece });
  await until(() => a.snapshot().linksOpen && b.snapshot().linksOpen);
  a.addSegment(seg);
  b.addSegment(seg);
  for (let i = 0; i < 20; i += 2) a.seedPiece(900, i, piece(seg, i)); // the mesh has the even pieces
  const odd = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
  const delay = (i) => staggerMs(b.peerId, 900, i);
  const late = odd.reduce((x, y) => (delay(y) > delay(x) ? y : x)); // arrives over the mesh meanwhile
  assert.ok(delay(late) > 150, 'the latest stagger leaves room for the mesh');
  const deadlineMs = 300;
  t0 = Date.now();
  const got = b.getSegment(900, { deadlineMs });
  setTimeout(() => a.seedPiece(900, late, piece(seg, late)), deadlineMs + 20);
  const r = await got;
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  const expected = odd.filter((i) => i !== late);
  assert.deepEqual(fetched.map(([i]) => i).sort((x, y) => x - y), expected, 'only missing pieces, never the late one');
  for (const [i, at] of fetched) {
    assert.ok(at >= deadlineMs + delay(i) - 5, `piece ${i} fetched at ${at} ms, stagger ${delay(i)}`);
    assert.ok(at <= deadlineMs + delay(i) + 150, `piece ${i} fetched late: ${at} ms`);
  }
  assert.equal(r.httpBytes, expected.length * PIECE);
  assert.equal(r.p2pBytes, (20 - expected.length) * PIECE);
  t.diagnostic(`fetch offsets after the deadline: ${fetched.map(([i, at]) => `${i}:+${at - deadlineMs}`).join(' ')}`);
  a.destroy();
  b.destroy();
});

test('without fetchPiece the wait ends at the deadline with code "deadline"; abort works', async () => {
  const seg = makeSegment(901, 3 * PIECE);
  const [a, b] = engines();
  b.addSegment(seg);
  await assert.rejects(b.getSegment(901, { deadlineMs: 50 }), (e) => e.code === 'deadline');
  const ac = new AbortController();
  const p = b.getSegment(901, { deadlineMs: 5000, signal: ac.signal });
  ac.abort();
  await assert.rejects(p, (e) => e.name === 'AbortError');
  a.destroy();
  b.destroy();
});

test('a corrupted piece is discarded and its sender closed; the piece comes over HTTP', async () => {
  const seg = makeSegment(902, 4 * PIECE);
  const b = new MeshEngine({ infoHash: SWARM, peerId: hexId(), fetchPiece: async (s, i) => piece(seg, i) });
  b.addSegment(seg);
  const liar = rawPeer(b, seg);
  await until(() => liar.ready && b.snapshot().linksOpen === 1);
  liar.on('request', (m) => {
    const data = Buffer.from(piece(seg, m.piece)).subarray(m.begin, m.begin + m.length);
    if (m.piece === 2) data[100] ^= 0xff;
    liar.sendBlock(m.seq, m.piece, m.begin, new Uint8Array(data));
  });
  liar.have(902, 4, [0, 1, 2, 3]);
  const r = await b.getSegment(902, { deadlineMs: 400 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  const s = b.snapshot();
  assert.equal(s.hashFailures, 1);
  assert.ok(liar.closed, 'the link that sent it is closed');
  assert.ok(r.httpBytes >= PIECE, 'the bad piece was fetched over HTTP');
  b.destroy();
});

test('pushed blocks from the box are accepted and counted as the box\'s; duplicates are dropped', async () => {
  const seg = makeSegment(903, 3 * PIECE);
  const b = new MeshEngine({ infoHash: SWARM, peerId: hexId() });
  b.addSegment(seg);
  const box = rawPeer(b, seg, '-VB0001-');
  await until(() => box.ready && b.snapshot().linksOpen === 1);
  const gone = [];
  box.on('gone', (m) => gone.push(m.seq));
  const got = b.getSegment(903, { deadlineMs: 5000 });
  for (let i = 0; i < 3; i++) box.sendBlock(903, i, 0, piece(seg, i));
  box.sendBlock(903, 1, 0, piece(seg, 1)); // a duplicate push
  const r = await got;
  assert.equal(r.fromBoxBytes, 3 * PIECE);
  assert.equal(r.p2pBytes, 0, 'the box is not P2P share');
  await until(() => b.snapshot().duplicates === 1);
  assert.equal(b.snapshot().boxLinks, 1);
  b.removeSegment(903);
  await until(() => gone.length === 1);
  assert.deepEqual(gone, [903]);
  b.destroy();
});

test('the window keeps at most 64 segments', () => {
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId() });
  for (let s = 0; s < 70; s++) e.addSegment({ seq: s, torrent: makeSegment(s, 100).torrent });
  assert.equal(e.snapshot().segments, 64);
  assert.ok(!e.segments.has(5) && e.segments.has(6));
  e.destroy();
});
