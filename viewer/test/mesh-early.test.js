// Benchmark findings, each with its rule: early pushes (before signaling announced the segment),
// HTTP fill retries, late blocks, the link cap and the offer budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshEngine } from '../src/mesh/engine.js';
import { LiveLink } from '../src/mesh/wire.js';
import { Neighbours } from '../src/mesh/neighbours.js';
import { channelPair, makeSegment, hexId, until, fakeClock } from './mesh-helpers.js';

const SWARM = 'e7'.repeat(20);
const PIECE = 16384;
const piece = (seg, i) => seg.data.subarray(i * PIECE, (i + 1) * PIECE);

/** A bare live link to `engine` (a hand-driven peer: the box, or a liar); knows `segs`. */
function rawPeer(engine, segs, prefix = '') {
  const [ca, cb] = channelPair();
  engine.addChannel(cb);
  const infos = new Map(segs.map((s) => [s.seq, { count: s.torrent.pieceHashes.length, pieceSize: () => PIECE }]));
  return new LiveLink({ channel: ca, infoHash: SWARM, peerId: hexId(prefix), segmentInfo: (s) => infos.get(s) || null });
}

const settle = () => new Promise((r) => setTimeout(r, 30));

test('a box push that beats signaling is kept and used when addSegment arrives', async () => {
  const clock = fakeClock();
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId(), now: clock.now });
  const old = makeSegment(99, 2 * PIECE);
  const seg = makeSegment(100, 3 * PIECE);
  e.addSegment(old);
  const box = rawPeer(e, [old, seg], '-VB0001-');
  await until(() => box.ready && e.snapshot().boxLinks === 1);
  for (let i = 0; i < 3; i++) box.sendBlock(100, i, 0, piece(seg, i));
  box.have(100, 3, [0, 1, 2]);
  // garbage: far ahead, and an old sequence, are not kept
  box.sendBlock(100 + 50, 0, 0, piece(seg, 0));
  box.sendBlock(98, 0, 0, piece(seg, 0));
  await until(() => e.snapshot().earlyBlocks === 3 && e.snapshot().unknownBlocks === 2);
  assert.equal(e.snapshot().earlySegmentsHeld, 1);
  assert.equal(e.snapshot().earlyBytesHeld, 3 * PIECE);
  e.addSegment(seg);
  const r = await e.getSegment(100, { deadlineMs: 1000 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  assert.equal(r.fromBoxBytes, 3 * PIECE, 'verified and counted as the box\'s');
  const s = e.snapshot();
  assert.equal(s.earlyApplied, 3);
  assert.equal(s.earlySegmentsHeld, 0);
  assert.equal(s.hashFailures, 0);
  assert.equal(s.bytes.box, 3 * PIECE);
  e.destroy();
});

test('early data is bounded (2 segments, 4 MiB), dropped after 5 s, and verified when applied', async () => {
  const clock = fakeClock();
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId(), now: clock.now, earlyBytes: 4 * PIECE });
  e.addSegment(makeSegment(10, PIECE));
  const segs = [11, 12, 13].map((s) => makeSegment(s, 3 * PIECE));
  const peer = rawPeer(e, segs);
  await until(() => peer.ready && e.snapshot().linksOpen === 1);
  peer.sendBlock(11, 0, 0, piece(segs[0], 0));
  peer.sendBlock(12, 0, 0, piece(segs[1], 0));
  peer.sendBlock(13, 0, 0, piece(segs[2], 0)); // a third unknown segment: not kept
  await until(() => e.snapshot().unknownBlocks === 1);
  assert.equal(e.snapshot().earlySegmentsHeld, 2);
  peer.sendBlock(11, 1, 0, piece(segs[0], 1));
  peer.sendBlock(11, 2, 0, piece(segs[0], 2));
  peer.sendBlock(12, 1, 0, piece(segs[1], 1)); // past 4 blocks' bytes: not kept
  await until(() => e.snapshot().unknownBlocks === 2);
  assert.equal(e.snapshot().earlyBytesHeld, 4 * PIECE);
  // 5 s later segment 12's early data is gone; 11 arrives in time but one block was corrupted
  clock.advance(3000);
  const bad = e.early.get(11).events.find(({ m }) => m.piece === 2);
  bad.m.data[7] ^= 1;
  e.addSegment(segs[0]);
  await settle();
  assert.equal(e.snapshot().hashFailures, 1, 'an early block is checked against the torrent like any other');
  assert.ok(peer.closed, 'and its sender closed');
  assert.ok(e.segments.get(11).has(0) && e.segments.get(11).has(1) && !e.segments.get(11).has(2));
  clock.advance(2500);
  e.expireEarly();
  assert.equal(e.snapshot().earlySegmentsHeld, 0);
  assert.equal(e.snapshot().earlyDropped, 1);
  e.addSegment(segs[1]);
  assert.equal(e.segments.get(12).held, 0, 'nothing left to apply after the timeout');
  e.destroy();
});

test('early have / have_piece are applied too: the engine requests what the neighbour announced', async () => {
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId() });
  e.addSegment(makeSegment(20, PIECE));
  const seg = makeSegment(21, 2 * PIECE);
  const peer = rawPeer(e, [seg]);
  await until(() => peer.ready && e.snapshot().linksOpen === 1);
  peer.on('request', (m) => peer.sendBlock(m.seq, m.piece, m.begin, piece(seg, m.piece).subarray(m.begin, m.begin + m.length)));
  peer.have(21, 2, [0]);
  peer.havePiece(21, 1);
  await until(() => e.snapshot().earlyHaves === 2);
  e.addSegment(seg);
  const r = await e.getSegment(21, { deadlineMs: 2000 });
  assert.equal(r.p2pBytes, 2 * PIECE);
  e.destroy();
});

test('HTTP fill: a failed piece is fetched again (next attempt) instead of failing the segment', async () => {
  const seg = makeSegment(30, 3 * PIECE);
  const calls = [];
  const fetchPiece = async (seq, i, { attempt }) => {
    calls.push([i, attempt]);
    if (i === 1 && attempt === 0) throw new Error('box: 503');
    return piece(seg, i);
  };
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId(), fetchPiece, stagger: 0, httpRetryMs: 10 });
  e.addSegment(seg);
  const r = await e.getSegment(30, { deadlineMs: 0 });
  assert.deepEqual(Buffer.from(r.data), Buffer.from(seg.data));
  assert.deepEqual(calls.filter(([i]) => i === 1), [[1, 0], [1, 1]]);
  assert.equal(e.snapshot().httpRetries, 1);
  // a piece with no source left fails the segment after 3 attempts, not at the first error
  const seg2 = makeSegment(31, 2 * PIECE);
  const tries = [];
  const e2 = new MeshEngine({ infoHash: SWARM, peerId: hexId(), stagger: 0, httpRetryMs: 5,
    fetchPiece: async (seq, i, { attempt }) => {
      if (i === 0) return piece(seg2, 0);
      tries.push(attempt);
      throw new Error('R2: 404');
    } });
  e2.addSegment(seg2);
  await assert.rejects(e2.getSegment(31, { deadlineMs: 0 }), /R2: 404/);
  assert.deepEqual(tries, [0, 1, 2]);
  // `retry: false` (the host has no source left) fails at once
  const seg3 = makeSegment(32, PIECE);
  let n = 0;
  const e3 = new MeshEngine({ infoHash: SWARM, peerId: hexId(), stagger: 0,
    fetchPiece: async () => {
      n++;
      throw Object.assign(new Error('no source'), { retry: false });
    } });
  e3.addSegment(seg3);
  await assert.rejects(e3.getSegment(32, { deadlineMs: 0 }), /no source/);
  assert.equal(n, 1);
  for (const x of [e, e2, e3]) x.destroy();
});

test('a block that arrives after its request timed out is late, not a push, and cancels the re-request', async () => {
  const clock = fakeClock();
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId(), now: clock.now, tickMs: 1e9 });
  const seg = makeSegment(40, PIECE);
  e.addSegment(seg);
  const slow = rawPeer(e, [seg]);
  await until(() => slow.ready && e.snapshot().linksOpen === 1);
  const asked = [];
  slow.on('request', (m) => asked.push(m));
  slow.have(40, 1, [0]);
  const got = e.getSegment(40, { deadlineMs: 60000 });
  await until(() => asked.length === 1);
  const fast = rawPeer(e, [seg]);
  await until(() => fast.ready && e.snapshot().linksOpen === 2);
  const fastAsked = [];
  const cancels = [];
  fast.on('request', (m) => fastAsked.push(m));
  fast.on('cancel', (m) => cancels.push(m));
  fast.have(40, 1, [0]);
  await settle();
  assert.equal(fastAsked.length, 0, 'in flight to the slow link');
  clock.advance(6000); // past the 5 s request timeout
  e.neighbours.tick(clock.now());
  await until(() => fastAsked.length === 1); // asked elsewhere, not again of the slow link
  assert.equal(asked.length, 1);
  slow.sendBlock(40, 0, 0, piece(seg, 0)); // the late answer
  const r = await got;
  assert.equal(r.p2pBytes, PIECE);
  await until(() => cancels.length === 1);
  const s = e.snapshot();
  assert.equal(s.lateBlocks, 1);
  assert.equal(s.pushedBlocks, 0, 'a late answer is no push');
  assert.equal(s.duplicates, 0);
  e.destroy();
});

test('links are capped at neighbours + margin; offers never exceed free slots and stay within the budget', async () => {
  const e = new MeshEngine({ infoHash: SWARM, peerId: hexId(), neighbours: 2, linkMargin: 2 });
  const seg = makeSegment(50, PIECE);
  const peers = [];
  for (let i = 0; i < 5; i++) peers.push(rawPeer(e, [seg]));
  await until(() => peers.filter((p) => p.closed).length === 1 && e.snapshot().linksOpen === 4);
  assert.equal(e.snapshot().maxLinks, 4);
  assert.equal(e.snapshot().freeSlots, 0);
  e.destroy();

  const clock = fakeClock(0);
  const tracker = { pendingOffers: 0 };
  const n = new Neighbours({ neighbours: 6, maxLinks: 16, offerRefillMs: 45000, reannounceMs: 500, now: clock.now,
    linkOpts: { peerId: hexId() }, hooks: {}, timers: globalThis, maxSegments: 8 });
  n.tracker = tracker;
  assert.equal(n.maxLinks, 8);
  assert.equal(n.takeOffers(5), 5, 'the first announce offers what it wants');
  tracker.pendingOffers = 5;
  assert.equal(n.takeOffers(5), 1, 'offers out count against the free slots');
  tracker.pendingOffers = 0; // all unanswered
  // a small swarm: every announce goes unanswered; over 10 minutes of announces every 30 s
  let offers = 0;
  for (let t = 30000; t <= 600000; t += 30000) {
    clock.t = t;
    offers += n.takeOffers(n.freeSlots());
  }
  assert.ok(offers <= 14, `unanswered offers in 10 minutes: ${offers}`);
  n.giveOffer(); // an answered offer or a lost link gives one back
  assert.equal(n.takeOffers(5), 1);
});
