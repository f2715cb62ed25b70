// Live links: two bittorrent-protocol wires piped to each other in-process (over in-memory data
// channels) exchanging live messages, and the link's rules: info hash, vb_live, bounds, timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Wire from 'bittorrent-protocol';
import { LiveLink, FrameGuard, LIMITS } from '../src/mesh/wire.js';
import { channelPair, hexId, until, fakeClock } from './mesh-helpers.js';

const SWARM = 'aa'.repeat(20);
const info = { count: 4, pieceSize: (i) => (i < 3 ? 32768 : 1000) };
const segmentInfo = (seq) => (seq === 5 ? info : null);

function linkPair(opts = {}) {
  const [ca, cb] = channelPair();
  const a = new LiveLink({ channel: ca, infoHash: SWARM, peerId: hexId('-VB'), segmentInfo, ...opts.a });
  const b = new LiveLink({ channel: cb, infoHash: opts.bHash || SWARM, peerId: hexId(), segmentInfo, ...opts.b });
  return [a, b];
}

const events = (link, names) => {
  const got = [];
  for (const n of names) link.on(n, (m) => got.push([n, m]));
  return got;
};

test('two links handshake on the swarm and exchange every live message', async () => {
  const [a, b] = linkPair();
  await until(() => a.ready && b.ready);
  assert.ok(a.peerId && b.peerId);
  assert.ok(b.isBox, 'a has the box prefix -VB');
  assert.ok(!a.isBox);
  const got = events(b, ['have', 'have_piece', 'request', 'cancel', 'block', 'reject', 'gone']);
  a.have(5, 4, [0, 3]);
  a.havePiece(5, 1);
  a.request(5, 2, 16384, 16384);
  a.sendBlock(5, 0, 0, new Uint8Array(16384).fill(7));
  a.gone(9);
  await until(() => got.length >= 5);
  assert.deepEqual(got.map(([n]) => n), ['have', 'have_piece', 'request', 'block', 'gone']);
  assert.deepEqual(got[0][1].pieces, [0, 3]);
  assert.equal(got[3][1].data.length, 16384);
  assert.equal(got[3][1].requested, false, 'a push');
  // b answers a's request; the block arrives as requested
  const back = events(a, ['block', 'reject']);
  assert.ok(b.isRequested(5, 2, 16384));
  b.sendBlock(5, 2, 16384, new Uint8Array(16384).fill(9));
  b.reject(5, 1, 0, 100); // never requested: a ignores it
  await until(() => back.length >= 1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(back.length, 1);
  assert.equal(back[0][1].requested, true);
  assert.equal(a.out.size, 0);
  a.close('done');
  await until(() => b.closed);
});

test('a request for an unknown segment is rejected; 32 outstanding at most each way', async () => {
  const [a, b] = linkPair();
  await until(() => a.ready && b.ready);
  const rejects = events(a, ['reject']);
  const requests = events(b, ['request']);
  assert.ok(a.request(77, 0, 0, 16384));
  await until(() => rejects.length === 1);
  for (let i = 0; i < 40; i++) a.request(5, i % 3, i * 16, 16);
  assert.equal(a.out.size, LIMITS.maxRequests, 'the sender stops at 32');
  await until(() => requests.length === 32);
  // a peer that ignores the bound gets its extra requests rejected
  a.limits = { ...a.limits, maxRequests: 100 };
  for (let i = 0; i < 3; i++) a.request(5, 3, 100 + i, 10);
  await until(() => rejects.length === 4);
  assert.equal(b.peerRequests.size, 32);
  assert.ok(!a.closed && !b.closed);
});

test('rule breaks close the link: piece out of range, block beyond the piece, bad payload', async () => {
  for (const send of [
    (a) => a.havePiece(5, 4),
    (a) => a.send({ type: 'block', seq: 5, piece: 3, begin: 900, data: new Uint8Array(200) }),
    (a) => a.send({ type: 'have', seq: 5, count: 9, pieces: [] }),
    (a) => a.wire.extended('vb_live', new Uint8Array([0x42, 0])),
  ]) {
    const [a, b] = linkPair();
    await until(() => a.ready && b.ready);
    send(a);
    await until(() => b.closed);
    assert.match(b.closeReason, /piece|payload|count/);
  }
});

test('a different info hash or a peer without vb_live is closed', async () => {
  const [a, b] = linkPair({ bHash: 'bb'.repeat(20) });
  await until(() => a.closed && b.closed);
  assert.equal(a.closeReason, 'different info hash');
  // a stock bittorrent-protocol wire (no vb_live) on the right info hash
  const [ca, cb] = channelPair();
  const link = new LiveLink({ channel: ca, infoHash: SWARM, peerId: hexId(), segmentInfo });
  const plain = new Wire('webrtc');
  plain.on('data', (d) => cb.send(d));
  cb.onmessage = (e) => plain.write(new Uint8Array(e.data));
  plain.handshake(SWARM, hexId());
  await until(() => link.closed);
  assert.equal(link.closeReason, 'peer lacks vb_live');
});

test('frames longer than 16384 + 32 bytes close the link, split or not', () => {
  const g = new FrameGuard(LIMITS.maxFrame);
  assert.ok(g.check(new Uint8Array(68)));
  assert.ok(g.check(new Uint8Array([0, 0, 0x40])));
  assert.ok(g.check(new Uint8Array([0x20, ...new Uint8Array(0x4020)])), 'exactly the maximum');
  assert.ok(g.check(new Uint8Array([0, 0, 0, 0]))); // keep-alive
  assert.ok(g.check(new Uint8Array([0, 0])));
  assert.equal(g.check(new Uint8Array([0x40, 0x21])), false);
});

test('timeouts: handshake, unanswered request, idle, a send queue that does not drain', async () => {
  const clock = fakeClock();
  const [a, b] = linkPair({ a: { now: clock.now }, b: { now: clock.now } });
  await until(() => a.ready && b.ready);
  const timeouts = events(a, ['timeout']);
  a.request(5, 0, 0, 16384); // b never answers
  clock.advance(LIMITS.requestTimeoutMs + 1);
  a.tick();
  assert.equal(timeouts.length, 1);
  assert.equal(a.out.size, 0);
  a.channel.bufferedAmount = 1000; // stuck queue
  a.tick();
  clock.advance(LIMITS.drainTimeoutMs + 1);
  b.tick();
  a.tick();
  assert.equal(a.closeReason, 'send queue does not drain');
  const [c, d] = linkPair({ a: { now: clock.now }, b: { now: clock.now } });
  await until(() => c.ready && d.ready);
  clock.advance(LIMITS.idleTimeoutMs + 1);
  c.tick();
  assert.equal(c.closeReason, 'idle');
  const [ca] = channelPair();
  const lone = new LiveLink({ channel: ca, infoHash: SWARM, peerId: hexId(), segmentInfo, now: clock.now });
  clock.advance(LIMITS.handshakeTimeoutMs + 1);
  lone.tick();
  assert.equal(lone.closeReason, 'handshake timeout');
});
