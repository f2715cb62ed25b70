// The viewer's P2P engine for the live mesh (docs/LIVE-MESH.md): one stream swarm for the
// session, a few persistent neighbours, segments collected piece by piece (rarest first), every
// piece verified before it is used or forwarded, forwarded as it arrives, and the pieces still
// missing at the deadline fetched over HTTP with a stagger. DOM-free: the RTCPeerConnection
// constructor, the HTTP fill, the clock and the timers are injected.
import { Emitter } from './emitter.js';
import { Neighbours } from './neighbours.js';
import { Segment } from './segment.js';
import { pickRequests } from './scheduler.js';
import { startFill, DEFAULT_STAGGER_MS } from './fill.js';

export const ENGINE_DEFAULTS = Object.freeze({
  neighbours: 6,
  maxLinks: 16,
  maxSegments: 64,
  stagger: DEFAULT_STAGGER_MS,
  tickMs: 1000,
  reannounceMs: 500,
  linkMargin: 2, // links accepted beyond `neighbours` (crossing offers)
  offerRefillMs: 45000, // the offer budget (`neighbours` offers) refills one offer per this
  // early data: blocks / have / have_piece for a segment signaling has not announced yet (the
  // box pushes as the segment enters its window; signaling announces it about then)
  earlySegments: 2, // unknown segments held at most
  earlyBytes: 4 << 20, // block bytes held at most
  earlyMs: 5000, // held this long at most
  earlyAhead: 4, // only for seq in (newest known, newest known + this]
  httpAttempts: 3, // fetches of one piece over HTTP before its segment fails
  httpRetryMs: 250, // backoff before the second attempt (doubling)
});

function codedError(code, message) {
  return Object.assign(new Error(message), { code, name: code === 'aborted' ? 'AbortError' : 'MeshError' });
}

/** A rule an early message breaks against its segment's torrent (as LiveLink.check), or null. */
function earlyRuleBreak(seg, m) {
  if (m.type === 'have') return m.count === seg.count ? null : 'have count differs from the torrent';
  if (m.piece >= seg.count) return 'piece out of range';
  if (m.type === 'block' && m.begin + m.data.length > seg.pieceSize(m.piece)) return 'block beyond the piece';
  return null;
}

export class MeshEngine extends Emitter {
  constructor(opts) {
    super();
    const o = { ...ENGINE_DEFAULTS, ...opts };
    if (!/^[0-9a-f]{40}$/.test(o.peerId || '')) throw new Error('peerId: 40 lowercase hex');
    if (!/^[0-9a-f]{40}$/.test(o.infoHash || '')) throw new Error('infoHash: 40 lowercase hex');
    this.o = o;
    this.peerId = o.peerId;
    this.now = o.now || (() => Date.now());
    this.timers = o.timers || globalThis;
    this.fetchPiece = o.fetchPiece || null;
    this.segments = new Map(); // seq -> Segment (the window)
    this.waiters = new Map(); // seq -> Set of getSegment waiters
    this.stats = { bytes: { peer: 0, box: 0, http: 0, own: 0 }, uploadBytes: 0, duplicates: 0, duplicateBytes: 0,
      hashFailures: 0, unknownBlocks: 0, unalignedBlocks: 0, pushedBlocks: 0, lateBlocks: 0, requestsSent: 0, httpErrors: 0,
      httpRetries: 0, earlyBlocks: 0, earlyBytes: 0, earlyHaves: 0, earlyApplied: 0, earlyDropped: 0, earlyDroppedBytes: 0 };
    this.early = new Map(); // seq -> {at, bytes, events: [{state, m}]}: data for a segment not announced yet
    this.newestSeq = -1; // the newest segment ever added
    this.neighbours = new Neighbours({
      neighbours: o.neighbours, maxLinks: Math.min(o.maxLinks, 16), linkMargin: o.linkMargin, offerRefillMs: o.offerRefillMs,
      reannounceMs: o.reannounceMs, timers: this.timers, maxSegments: o.maxSegments, now: this.now,
      linkOpts: { infoHash: o.infoHash, peerId: o.peerId, now: this.now, limits: o.linkLimits, segmentInfo: (s) => this.segments.get(s) || null },
      hooks: { onReady: (s) => this.onLinkReady(s), onClose: () => this.schedule() },
    });
    this.scheduled = false;
    this.destroyed = false;
    this.tickTimer = this.timers.setTimeout(() => this.tick(), o.tickMs);
    if (o.trackerUrl && o.RTCPeerConnection) {
      this.neighbours.start({ trackerUrl: o.trackerUrl, infoHash: o.infoHash, peerId: o.peerId,
        RTCPeerConnection: o.RTCPeerConnection, rtcConfig: o.rtcConfig || { iceServers: [] }, peerOpts: o.peerOpts,
        onWarning: (e) => this.emit('warning', e) });
    }
  }

  // ---- the window ----

  /** A segment signaling announced: `{seq, torrent: {pieceLength, length, pieceHashes}}`. */
  addSegment({ seq, torrent }) {
    if (this.destroyed || this.segments.has(seq)) return this.segments.get(seq);
    const seg = new Segment(seq, torrent);
    this.segments.set(seq, seg);
    this.newestSeq = Math.max(this.newestSeq, seq);
    while (this.segments.size > this.o.maxSegments) this.removeSegment(Math.min(...this.segments.keys()));
    this.applyEarly(seg);
    this.expireEarly();
    this.schedule();
    return seg;
  }

  // ---- early data (before signaling announced the segment) ----

  /**
   * Keeps `m` (a block, have or have_piece of unknown `m.seq`) from `state`'s link until
   * addSegment; false when it is not taken (too old, too far ahead, buffer full).
   */
  keepEarly(state, m) {
    const o = this.o;
    const seq = m.seq;
    this.expireEarly();
    if (this.newestSeq >= 0 && (seq <= this.newestSeq || seq > this.newestSeq + o.earlyAhead)) return false;
    let e = this.early.get(seq);
    if (!e) {
      if (this.early.size >= o.earlySegments) return false;
      e = { at: this.now(), bytes: 0, events: [] };
      this.early.set(seq, e);
    }
    if (m.type === 'block') {
      if (this.earlyTotal() + m.data.length > o.earlyBytes) return false;
      m = { ...m, data: m.data.slice() }; // not a view of the link's receive buffer
      e.bytes += m.data.length;
      this.stats.earlyBlocks++;
      this.stats.earlyBytes += m.data.length;
    } else {
      if (e.events.length > 4096) return false;
      this.stats.earlyHaves++;
    }
    e.events.push({ state, m });
    return true;
  }

  earlyTotal() {
    let n = 0;
    for (const e of this.early.values()) n += e.bytes;
    return n;
  }

  /** Drops early data older than `earlyMs`, and any for a sequence the window has passed. */
  expireEarly(now = this.now()) {
    for (const [seq, e] of this.early) {
      if (now - e.at <= this.o.earlyMs && seq > this.newestSeq) continue;
      this.early.delete(seq);
      this.dropEarly(e);
    }
  }

  dropEarly(e) {
    for (const { m } of e.events) {
      if (m.type !== 'block') continue;
      this.stats.earlyDropped++;
      this.stats.earlyDroppedBytes += m.data.length;
      this.stats.unknownBlocks++;
    }
  }

  /** Replays what arrived for `seg` before it was announced, checked against its torrent. */
  applyEarly(seg) {
    const e = this.early.get(seg.seq);
    if (!e) return;
    this.early.delete(seg.seq);
    for (const { state, m } of e.events.sort((a, b) => (a.m.type === 'block') - (b.m.type === 'block'))) {
      if (state.link.closed && m.type !== 'block') continue;
      const why = earlyRuleBreak(seg, m);
      if (why) {
        state.link.close(why);
        continue;
      }
      if (m.type === 'have') this.onHave(state, m);
      else if (m.type === 'have_piece') this.onHavePiece(state, m);
      else {
        this.stats.earlyApplied++;
        this.onBlock(state, m);
      }
    }
  }

  /** The segment left the window: its pieces are freed and neighbours told `gone`. */
  removeSegment(seq) {
    const seg = this.segments.get(seq);
    if (!seg) return;
    seg.removed = true;
    this.segments.delete(seq);
    for (const s of this.neighbours.ready()) {
      s.link.gone(seq);
      s.holdings.drop(seq);
    }
    for (const w of [...(this.waiters.get(seq) || [])]) this.finish(w, codedError('removed', `segment ${seq} left the window`));
  }

  /** Holds all of `data` as segment `seq` (added before), e.g. on a source; announces it. */
  seedSegment(seq, data) {
    const seg = this.segments.get(seq);
    if (!seg) throw new Error(`segment ${seq} is not in the window`);
    for (let i = 0; i < seg.count; i++) this.seedPiece(seq, i, data.subarray(i * seg.pieceLength, i * seg.pieceLength + seg.pieceSize(i)));
    return seg.complete;
  }

  /** Holds one piece (verified) of a window segment and forwards it. */
  seedPiece(seq, i, bytes) {
    const seg = this.segments.get(seq);
    if (!seg || !seg.put(i, bytes, 'own')) return false;
    this.stats.bytes.own += bytes.length;
    this.pieceHeld(seg, i);
    return true;
  }

  // ---- getting a segment ----

  /**
   * Resolves to `{seq, data, p2pBytes, fromBoxBytes, httpBytes, ownBytes, ms}` once every piece
   * of `seq` is here and verified. At `deadlineMs` the missing pieces are fetched with
   * `fetchPiece` (staggered); without `fetchPiece` it rejects then (code 'deadline').
   */
  getSegment(seq, { deadlineMs = 0, signal } = {}) {
    const seg = this.segments.get(seq);
    if (!seg) return Promise.reject(codedError('unknown', `segment ${seq} is not in the window`));
    const startedAt = this.now();
    if (seg.complete) return Promise.resolve(this.result(seg, startedAt));
    if (signal?.aborted) return Promise.reject(codedError('aborted', 'aborted'));
    return new Promise((resolve, reject) => {
      const w = { seg, resolve, reject, startedAt, signal };
      w.timer = this.timers.setTimeout(() => this.deadline(w), Math.max(0, deadlineMs));
      w.onAbort = () => this.finish(w, codedError('aborted', 'aborted'));
      signal?.addEventListener('abort', w.onAbort, { once: true });
      if (!this.waiters.has(seq)) this.waiters.set(seq, new Set());
      this.waiters.get(seq).add(w);
      this.schedule();
    });
  }

  deadline(w) {
    w.timer = null;
    const seg = w.seg;
    if (!this.fetchPiece) return this.finish(w, codedError('deadline', `segment ${seg.seq} incomplete at the deadline`));
    if (seg.cancelFill) return;
    seg.cancelFill = startFill(seg, {
      peerId: this.peerId, stagger: this.o.stagger, fetchPiece: this.fetchPiece, timers: this.timers,
      attempts: this.o.httpAttempts, retryMs: this.o.httpRetryMs,
      onRetry: () => {
        this.stats.httpErrors++;
        this.stats.httpRetries++;
      },
      accept: (s, i, bytes) => {
        if (!s.put(i, bytes, 'http')) return false;
        this.stats.bytes.http += bytes.length;
        this.pieceHeld(s, i);
        return true;
      },
      onError: (e, s) => {
        this.stats.httpErrors++;
        for (const x of [...(this.waiters.get(s.seq) || [])]) this.finish(x, e);
      },
    });
  }

  finish(w, err) {
    const set = this.waiters.get(w.seg.seq);
    if (!set?.delete(w)) return;
    if (set.size === 0) {
      this.waiters.delete(w.seg.seq);
      w.seg.cancelFill?.();
      w.seg.cancelFill = null;
    }
    if (w.timer) this.timers.clearTimeout(w.timer);
    w.signal?.removeEventListener('abort', w.onAbort);
    if (err) w.reject(err);
    else w.resolve(this.result(w.seg, w.startedAt));
  }

  result(seg, startedAt) {
    const b = seg.bytes;
    return { seq: seg.seq, data: seg.assemble(), p2pBytes: b.peer, fromBoxBytes: b.box, httpBytes: b.http, ownBytes: b.own,
      ms: this.now() - startedAt };
  }

  // ---- links ----

  /** Runs a live link over an already open data channel (tests, box-less setups). */
  addChannel(channel, opts) {
    return this.neighbours.addChannel(channel, opts);
  }

  onLinkReady(state) {
    const link = state.link;
    link.on('have', (m) => this.onHave(state, m));
    link.on('have_piece', (m) => this.onHavePiece(state, m));
    link.on('request', (m) => this.serve(state, m));
    link.on('block', (m) => this.onBlock(state, m));
    link.on('reject', (m) => this.onReject(state, m));
    link.on('timeout', () => this.schedule());
    link.on('gone', (m) => state.holdings.drop(m.seq));
    for (const seg of this.segments.values()) link.have(seg.seq, seg.count, seg.heldPieces());
    this.emit('link', { peerId: link.peerId, isBox: link.isBox, initiator: state.initiator });
  }

  onHave(state, m) {
    if (!this.segments.has(m.seq)) return void this.keepEarly(state, m);
    state.holdings.setAll(m.seq, m.count, m.pieces);
    this.schedule();
  }

  onHavePiece(state, m) {
    if (!this.segments.has(m.seq)) return void this.keepEarly(state, m);
    state.holdings.add(m.seq, m.piece, this.segments.get(m.seq)?.count);
    this.schedule();
  }

  onReject(state, m) {
    const bits = state.holdings.bits.get(m.seq);
    if (bits) bits[m.piece] = 0; // ask someone else (or HTTP) for it
    this.schedule();
  }

  serve(state, m) {
    const seg = this.segments.get(m.seq);
    const piece = seg?.pieces[m.piece];
    if (!piece || !state.link.sendBlock(m.seq, m.piece, m.begin, piece.subarray(m.begin, m.begin + m.length))) {
      state.link.reject(m.seq, m.piece, m.begin, m.length);
      return;
    }
    this.stats.uploadBytes += m.length;
  }

  onBlock(state, m) {
    const seg = this.segments.get(m.seq);
    if (!seg) {
      if (!this.keepEarly(state, m)) this.stats.unknownBlocks++;
      return;
    }
    if (m.late) this.stats.lateBlocks++;
    else if (!m.requested) this.stats.pushedBlocks++;
    const link = state.link;
    const r = seg.addBlock(m.piece, m.begin, m.data, link, link.isBox ? 'box' : 'peer');
    if (r === 'dup') {
      this.stats.duplicates++;
      this.stats.duplicateBytes += m.data.length;
    } else if (r === 'unaligned') {
      this.stats.unalignedBlocks++;
    } else {
      if (!m.requested) this.cancelElsewhere(m, link);
      if (r === 'full') this.verify(seg, m.piece);
    }
    this.schedule();
  }

  /** A pushed (or late) block makes requests of it to other links pointless. */
  cancelElsewhere(m, except) {
    for (const s of this.neighbours.ready()) {
      if (s.link !== except) s.link.cancel(m.seq, m.piece, m.begin, m.data.length);
    }
  }

  verify(seg, i) {
    const { ok, from } = seg.verifyPartial(i);
    if (!ok) {
      this.stats.hashFailures++;
      for (const link of from.keys()) link.close(`piece ${i} of segment ${seg.seq} failed its SHA-1`);
      return;
    }
    for (const { source, bytes } of from.values()) this.stats.bytes[source] += bytes;
    this.pieceHeld(seg, i);
  }

  /** A verified piece: tell the neighbours that lack it; a complete segment ends its waits. */
  pieceHeld(seg, i) {
    for (const s of this.neighbours.ready()) if (!s.holdings.holds(seg.seq, i)) s.link.havePiece(seg.seq, i);
    this.emit('piece', { seq: seg.seq, piece: i });
    if (!seg.complete) return;
    for (const w of [...(this.waiters.get(seg.seq) || [])]) this.finish(w, null);
    this.emit('segment', seg.seq);
  }

  // ---- requests ----

  schedule() {
    if (this.scheduled || this.destroyed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.destroyed) this.requestBlocks();
    });
  }

  requestBlocks() {
    const peers = this.neighbours.ready();
    if (!peers.length) return;
    const urgent = (seg) => (this.waiters.has(seg.seq) ? 0 : 1);
    const segs = [...this.segments.values()].filter((s) => !s.complete).sort((a, b) => urgent(a) - urgent(b) || a.seq - b.seq);
    const inFlight = (seq, piece, begin) => peers.some((p) => p.link.out.has(`${seq}:${piece}:${begin}`));
    for (const r of pickRequests(segs, peers, inFlight, this.o.random)) {
      if (r.peer.link.request(r.seq, r.piece, r.begin, r.length)) this.stats.requestsSent++;
    }
  }

  tick() {
    if (this.destroyed) return;
    this.neighbours.tick(this.now());
    this.expireEarly();
    this.schedule();
    this.tickTimer = this.timers.setTimeout(() => this.tick(), this.o.tickMs);
  }

  // ---- figures ----

  /** Counters: bytes by source (peer = other viewers, box = the box's WebRTC seeder, http). */
  snapshot() {
    const n = this.neighbours;
    const ready = n.ready();
    return { ...this.stats, bytes: { ...this.stats.bytes }, peerConnectionsCreated: n.peerConnectionsCreated,
      linksOpen: ready.length, boxLinks: ready.filter((s) => s.link.isBox).length, linksOpened: n.counts.linksOpened,
      linksClosed: n.counts.linksClosed, connecting: n.connecting.size, segments: this.segments.size, tries: { ...n.tries },
      freeSlots: n.freeSlots(), maxLinks: n.maxLinks, offersMade: n.tracker?.offersMade || 0,
      offersUnanswered: n.tracker?.offersUnanswered || 0, offersPending: n.pendingOffers(), offersRefused: n.counts.offersRefused,
      earlySegmentsHeld: this.early.size, earlyBytesHeld: this.earlyTotal() };
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.timers.clearTimeout(this.tickTimer);
    for (const seq of [...this.waiters.keys()]) {
      for (const w of [...this.waiters.get(seq)]) this.finish(w, codedError('aborted', 'engine stopped'));
    }
    this.neighbours.destroy();
  }
}
