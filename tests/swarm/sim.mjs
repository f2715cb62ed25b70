// Simulated viewers (AUDIENCE=sim:N): real WebSockets to the box's /signal and /announce,
// speaking the real protocols (hello/segment/stats; announce with 5 SDP offers, answers relayed
// by to_peer_id + offer_id, `completed`, `stopped`). What is MODELLED, not real: the WebRTC
// transport and the piece exchange. A simulated viewer that gets an answer from another simulated
// viewer holding the segment (or completing it later) counts the segment as P2P bytes after
// PEER_MS; an answer from the box's seeder counts it as box-seeder bytes; with neither by its
// deadline it fetches the segment over real HTTP from the box. See docs/decisions/1000.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VirtualPlayer } from './player-model.mjs';
import { reconnectOnLoss } from './reconnect.mjs';

const OFFERS = 5;
// Client frames must be masked; a fixed mask spares the simulator crypto per frame.
const WS_OPTIONS = { generateMask: () => {}, skipUTF8Validation: true, perMessageDeflate: false };
const env = (k, d) => Number(process.env[k] || d);
export const MODEL = {
  phaseMs: env('SIM_PHASE_MS', 2000), // each viewer's fixed offset after an announcement
  peerMs: env('SIM_PEER_MS', 600), // connect + transfer time of a segment from a peer (or the seeder)
  reannounceMs: env('SIM_REANNOUNCE_MS', 1000), // announce again when no holder answered
  deadlineMs: env('SIM_DEADLINE_MS', 3000), // then HTTP
};
const template = (() => {
  const raw = readFileSync(new URL('../../appliance/proto/testdata/tracker/swarm/000-c2s-a.json', import.meta.url), 'utf8');
  return JSON.parse(raw).offers[0].offer.sdp;
})();
// SDP and ids are made from a pool and a counter, not crypto: the tracker only relays them, and
// the simulator's own CPU must go to the messages (at 1000 viewers it shares 2 cores with the box).
let serial = 0;
const uniq = (len) => (++serial).toString(36).padStart(len, '0').slice(-len);
const sdpPool = (type) => Array.from({ length: 64 }, (_, i) => template
  .replace(/a=ice-ufrag:[^\r]*/, `a=ice-ufrag:${type[0]}${i.toString(36).padStart(3, '0')}`)
  .replace(/a=ice-pwd:[^\r]*/, `a=ice-pwd:${randomBytes(12).toString('base64')}`)
  .replace(/a=setup:[^\r]*/, type === 'answer' ? 'a=setup:active' : 'a=setup:actpass'));
const pools = { offer: sdpPool('offer'), answer: sdpPool('answer') };
const sdp = (type) => pools[type][serial++ & 63];
const bin = (hex) => Buffer.from(hex, 'hex').toString('latin1');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** At most 32 HTTP fallbacks in flight in this process (the rest wait: a late segment stalls). */
const http = {
  free: 32,
  queue: [],
  acquire() {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((r) => this.queue.push(r));
  },
  release() {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  },
};

/** Shared among the simulated viewers of this process: who holds what (the model's truth). */
class Model {
  constructor() {
    this.holders = new Map(); // info hash (binary) -> Set(peer id)
    this.waiters = new Map(); // `${hash}|${holder}` -> [callback]
    this.viewers = new Map(); // peer id -> SimViewer
  }
  holds(hash, peer) {
    return this.holders.get(hash)?.has(peer) ?? false;
  }
  completed(hash, peer) {
    if (!this.holders.has(hash)) this.holders.set(hash, new Set());
    this.holders.get(hash).add(peer);
    const k = `${hash}|${peer}`;
    for (const cb of this.waiters.get(k) || []) cb();
    this.waiters.delete(k);
  }
  whenHolds(hash, peer, cb) {
    if (this.holds(hash, peer)) return cb();
    const k = `${hash}|${peer}`;
    if (!this.waiters.has(k)) this.waiters.set(k, []);
    this.waiters.get(k).push(cb);
  }
  forget(hash) {
    this.holders.delete(hash);
    for (const k of this.waiters.keys()) if (k.startsWith(hash)) this.waiters.delete(k);
  }
}

class SimViewer {
  constructor(i, model, ctx) {
    this.peerId = `-SM0001-${String(i).padStart(6, '0')}${uniq(6)}`;
    this.model = model;
    this.ctx = ctx;
    this.phase = Math.random() * MODEL.phaseMs;
    this.bytes = { peer: 0, seeder: 0, http: 0 };
    this.player = new VirtualPlayer(Date.now());
    this.pending = new Map(); // hash -> {seg, t0, timers, sources}
    this.gone = false;
    this.resumes = 0;
    model.viewers.set(this.peerId, this);
    this.connect();
    this.statsTimer = setInterval(() => this.report(), 2000);
  }

  connect() {
    const { WebSocket, signalUrl, trackerUrl } = this.ctx;
    this.sig = new WebSocket(signalUrl, WS_OPTIONS);
    this.trk = new WebSocket(trackerUrl, WS_OPTIONS);
    this.sig.on('message', (d) => this.onSignal(JSON.parse(d)));
    this.trk.on('message', (d) => this.onTracker(JSON.parse(d)));
    reconnectOnLoss(this, [this.sig, this.trk]);
  }

  send(ws, msg) {
    if (ws.readyState !== 1) return;
    ws.send(JSON.stringify(msg));
    if (ws !== this.trk) return;
    const sec = Math.floor(Date.now() / 1000);
    if (sec !== this.sec) [this.sec, this.inSec] = [sec, 0];
    this.inSec++;
    this.maxPerS = Math.max(this.maxPerS || 0, this.inSec); // tracker messages this viewer sent in one second
  }

  onSignal(m) {
    if (m.type === 'hello') {
      this.player.resync();
      // Like the viewer app, start from the window's last two segments (a segment of cushion).
      for (const seg of m.segments.filter((s) => s.info_hash).slice(-2)) this.want(seg, null);
    } else if (m.type === 'segment' && m.info_hash) {
      this.want(m, Date.now());
    } else if (m.type === 'discontinuity') {
      this.player.resync();
    } else if (m.type === 'removed') {
      for (const [hash, p] of this.pending) if (p.seg.name === m.name) this.drop(hash);
    }
  }

  want(seg, announcedAt) {
    const hash = bin(seg.info_hash);
    if (this.pending.has(hash) || this.model.holds(hash, this.peerId)) return;
    const p = { seg, hash, announcedAt, timers: [], p2p: false, seeder: false, done: false };
    this.pending.set(hash, p);
    p.timers.push(setTimeout(() => this.announce(p, 'started'), this.phase));
    p.timers.push(setTimeout(() => !p.p2p && this.announce(p), this.phase + MODEL.reannounceMs));
    p.timers.push(setTimeout(() => this.deadline(p), this.phase + MODEL.deadlineMs));
  }

  announce(p, event) {
    if (p.done) return;
    const offers = Array.from({ length: OFFERS }, () => ({ offer: { type: 'offer', sdp: sdp('offer') }, offer_id: uniq(20) }));
    const msg = { action: 'announce', info_hash: p.hash, peer_id: this.peerId, numwant: OFFERS, uploaded: 0, downloaded: 0, left: p.seg.bytes, offers };
    if (event) msg.event = event;
    this.send(this.trk, msg);
  }

  onTracker(m) {
    if (m.action !== 'announce' || m['failure reason']) return;
    if (m.offer && m.peer_id) {
      // A real WebTorrent peer answers every relayed offer; the model does the same.
      this.send(this.trk, { action: 'announce', info_hash: m.info_hash, peer_id: this.peerId, to_peer_id: m.peer_id, offer_id: m.offer_id, answer: { type: 'answer', sdp: sdp('answer') } });
      return;
    }
    if (!m.answer) return;
    const p = this.pending.get(m.info_hash);
    if (!p || p.done) return;
    if (this.model.viewers.has(m.peer_id)) {
      // Connected to another viewer: the data flows once it holds the segment.
      this.model.whenHolds(p.hash, m.peer_id, () => {
        if (p.done) return;
        p.p2p = true;
        p.timers.push(setTimeout(() => this.complete(p, 'peer'), MODEL.peerMs));
      });
    } else if (!p.seeder) {
      p.seeder = true; // the box's seeder answered
      p.timers.push(setTimeout(() => !p.p2p && this.complete(p, 'seeder'), MODEL.peerMs));
    }
  }

  async deadline(p) {
    if (p.done || p.fetching) return;
    p.fetching = true;
    await http.acquire();
    try {
      if (p.done) return; // completed while waiting for a fetch slot
      const res = await fetch(new URL(p.seg.url, this.ctx.boxUrl), { signal: AbortSignal.timeout(10000) });
      const body = await res.arrayBuffer();
      this.bytes.http += body.byteLength; // received, even if peers finished first
      if (!res.ok || p.done) return;
      this.complete(p, null);
    } catch {
      // the box is away: the segment is lost for this viewer (a stall shows it)
      this.drop(p.hash);
    } finally {
      http.release();
    }
  }

  complete(p, source) {
    if (p.done) return;
    p.done = true;
    if (source) this.bytes[source] += p.seg.bytes;
    this.player.complete(p.seg.seq, p.seg.duration, p.announcedAt, Date.now());
    this.model.completed(p.hash, this.peerId);
    this.send(this.trk, { action: 'announce', info_hash: p.hash, peer_id: this.peerId, numwant: 0, uploaded: 0, downloaded: p.seg.bytes, left: 0, event: 'completed' });
    for (const t of p.timers) clearTimeout(t);
  }

  drop(hash) {
    const p = this.pending.get(hash);
    if (!p) return;
    for (const t of p.timers) clearTimeout(t);
    p.done = true;
    this.pending.delete(hash);
    this.send(this.trk, { action: 'announce', info_hash: hash, peer_id: this.peerId, numwant: 0, uploaded: 0, downloaded: 0, left: 0, event: 'stopped' });
  }

  report() {
    const f = this.player.figures(Date.now());
    this.send(this.sig, { v: 1, type: 'stats', bytes_p2p: this.bytes.peer + this.bytes.seeder, bytes_http: this.bytes.http, bytes_r2: 0, peers: 0, buffer_secs: 0, latency_secs: null, stalls: f.stalls });
  }

  leave() {
    this.gone = true;
    this.goneAt = Date.now(); // its figures stop here: no watching or stalling after it left
    clearInterval(this.statsTimer);
    for (const p of this.pending.values()) for (const t of p.timers) clearTimeout(t);
    this.sig.close();
    this.trk.close();
  }

  figures(now) {
    return { id: this.peerId, kind: 'sim', bytes: { ...this.bytes }, resumes: this.resumes, maxTrackerPerS: this.maxPerS || 0, left: this.gone, ...this.player.figures(this.goneAt ?? now) };
  }
}

/** Starts `n` simulated viewers, 5 ms apart; returns the audience handle. */
export async function startSim(n, ctx) {
  const WebSocket = ctx.WebSocket;
  const model = new Model();
  const all = [];
  let next = 0;
  const join = async (k) => {
    // 10 viewers every 50 ms (200/s): per-viewer timers drift when the event loop is busy.
    for (let i = 0; i < k; i++) {
      all.push(new SimViewer(next++, model, { ...ctx, WebSocket }));
      if (i % 10 === 9) await sleep(50);
    }
  };
  await join(n);
  return {
    kind: `sim:${n}`,
    note: `simulated viewers: real /signal + /announce WebSockets, WebRTC transport and piece exchange MODELLED (phase <= ${MODEL.phaseMs} ms, peer/seeder transfer ${MODEL.peerMs} ms, re-announce ${MODEL.reannounceMs} ms, HTTP after ${MODEL.deadlineMs} ms)`,
    active: () => all.filter((v) => !v.gone),
    async leave(k) {
      for (const v of this.active().slice(0, k)) v.leave();
    },
    join,
    figures: () => all.map((v) => v.figures(Date.now())),
    async close() {
      for (const v of all) if (!v.gone) v.leave();
    },
  };
}
