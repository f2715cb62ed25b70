// One process of engine viewers (AUDIENCE=engine:N, see engines.mjs): each is the viewer's own
// live-mesh engine (viewer/src/mesh/engine.js, the code the page runs) on node-datachannel's
// RTCPeerConnection polyfill. A viewer follows /signal (viewer/src/signal-msg.js), adds every
// announced segment's torrent (viewer/src/torrent-meta.js) to its engine, joins the stream swarm
// the hello names (or, from a box without `swarm`, MESH_INFO_HASH / sha1('venuebox-live-v1:bench'),
// which the box's tracker treats as an ordinary swarm), fills missing pieces with HTTP Range GETs
// from the box, and plays like the page: ~3 segments behind live, each segment asked for in order
// with the page's deadline (viewer/src/deadline.js), a virtual player counting stalls.
// Used as a worker (`node engine-peers.mjs <signal> <box> <count>`; commands on stdin, one per
// line: fig, leave, join, quit; `fig` answers one JSON line) or imported (EngineViewer).
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { MeshEngine } from '../../viewer/src/mesh/engine.js';
import { parseMessage, statsMessage } from '../../viewer/src/signal-msg.js';
import { parseTorrent } from '../../viewer/src/torrent-meta.js';
import { p2pWaitMs } from '../../viewer/src/deadline.js';
import { load } from './deps.mjs';
import { VirtualPlayer } from './player-model.mjs';

const viewerReq = createRequire(new URL('../../viewer/package.json', import.meta.url));
const { RTCPeerConnection } = await import(pathToFileURL(viewerReq.resolve('node-datachannel/polyfill')).href);
const { WebSocket } = await load('ws').then((m) => ({ WebSocket: m.WebSocket || m }));

/** The info hash engines meet on while the box's hello carries no `swarm`. */
export const FALLBACK_INFO_HASH = process.env.MESH_INFO_HASH || createHash('sha1').update('venuebox-live-v1:bench').digest('hex');
const BEHIND = 3; // segments behind live at start, as hls.js's liveSyncDurationCount = 3
const MAX_HTTP_TRIES = 3;

let nextId = 0;
/** Engine warnings of this process by message (numbers and ids folded), for the report. */
export const warningTally = new Map();
const tally = (e) => {
  const k = String(e?.message || e).replace(/[0-9a-f]{40}/g, '<id>').replace(/\d+/g, 'N').slice(0, 120);
  warningTally.set(k, (warningTally.get(k) || 0) + 1);
};

export class EngineViewer {
  /** `signalUrl`: the box's /signal; `boxUrl`: its HTTP origin (segments, Range fill). */
  constructor({ signalUrl, boxUrl }) {
    this.signalUrl = signalUrl;
    this.boxUrl = boxUrl;
    this.id = `e${process.pid}-${nextId++}`;
    this.peerId = Buffer.from('-VE0001-').toString('hex') + randomBytes(12).toString('hex');
    this.joinedAt = Date.now();
    this.player = new VirtualPlayer(this.joinedAt);
    this.engine = null;
    this.infoHash = null;
    this.swarmFromHello = null; // true: the hello named the swarm; false: fallback
    this.window = new Map(); // seq -> {seq, duration, url, meta, announcedAt}
    this.waiting = null; // resolves when a segment arrives
    this.nextSeq = null;
    this.playable = []; // [completedAt, announce -> complete ms]
    this.completeAt = new Map(); // seq -> ms when complete in the engine
    this.httpRaw = 0; // HTTP body bytes received (verified or not, whole-segment fallback too)
    this.httpWhole = 0; // segments without a torrent fetched whole
    this.httpRequests = 0;
    this.sigBytes = 0; // signaling bytes received (payload)
    this.httpEstimateS = 0.5;
    this.httpOnly = 0; // segments that came only over HTTP
    this.lastP2PAt = 0;
    this.errors = { http: 0, getSegment: 0, signal: 0, warnings: 0 };
    this.resumes = 0;
    this.gone = false;
    this.connect();
    this.statsTimer = setInterval(() => this.report(), 2000);
    this.play();
  }

  connect() {
    const ws = new WebSocket(this.signalUrl);
    this.sig = ws;
    ws.on('message', (d) => {
      this.sigBytes += d.length;
      let m;
      try {
        m = parseMessage(d.toString());
      } catch {
        this.errors.signal++;
        return;
      }
      this.onSignal(m);
    });
    const lost = () => {
      if (this.gone || ws !== this.sig) return;
      this.sig = null;
      setTimeout(() => {
        if (this.gone) return;
        this.resumes++;
        this.connect();
      }, 1000 + Math.random() * 1000);
    };
    ws.on('close', (code, reason) => {
      tally(`signal closed ${code} ${reason}`);
      lost();
    });
    ws.on('error', () => {});
  }

  onSignal(m) {
    const now = Date.now();
    if (m.type === 'hello') {
      this.statsIntervalMs = m.statsIntervalS * 1000;
      this.startEngine(m);
      // The hello is the window (after a box restart or a resync the sequence may start again):
      // what it does not list, or lists with another torrent, leaves the engine.
      const listed = new Map(m.segments.map((s) => [s.seq, s.infoHash]));
      for (const [seq, w] of [...this.window]) {
        if (listed.get(seq) !== w.infoHash) {
          this.window.delete(seq);
          this.engine.removeSegment(seq);
        }
      }
      for (const s of m.segments) this.add(s, null);
      this.statsBase = { ...this.engine.stats.bytes, stalls: this.player.figures(now).stalls }; // reports count per connection
      const seqs = m.segments.filter((s) => this.window.has(s.seq)).map((s) => s.seq);
      // The first frame is ~3 segments behind live; after a reconnect, go on where we were
      // unless that left the window.
      if (seqs.length && (this.nextSeq === null || !this.window.has(this.nextSeq))) {
        this.nextSeq = seqs[Math.max(0, seqs.length - BEHIND)];
        this.player.resync();
      }
    } else if (m.type === 'segment') {
      this.add(m.segment, now);
    } else if (m.type === 'removed') {
      this.window.delete(m.seq);
      this.engine?.removeSegment(m.seq);
    } else if (m.type === 'discontinuity') {
      this.player.resync();
    } else if (m.type === 'error') {
      tally(`signal error ${m.code}: ${m.message}`);
    }
    this.wake();
  }

  startEngine(hello) {
    const infoHash = hello.swarm?.infoHash || FALLBACK_INFO_HASH;
    if (this.engine && this.infoHash === infoHash) return;
    this.engine?.destroy();
    this.infoHash = infoHash;
    this.swarmFromHello = !!hello.swarm;
    // bittorrent-tracker pools tracker sockets per URL in a process; a page has its own, so each
    // engine gets its own URL (the box ignores the query).
    const trackerUrl = `${hello.tracker}${hello.tracker.includes('?') ? '&' : '?'}viewer=${this.id}`;
    this.engine = new MeshEngine({
      RTCPeerConnection, rtcConfig: { iceServers: [] }, trackerUrl, infoHash, peerId: this.peerId,
      neighbours: hello.swarm?.neighbours || 6,
      fetchPiece: (seq, i) => this.fetchPiece(seq, i),
    });
    this.engine.on('warning', (e) => {
      this.errors.warnings++;
      tally(e);
    });
    this.engine.on('segment', (seq) => {
      const at = Date.now();
      this.completeAt.set(seq, at);
      const s = this.window.get(seq);
      if (s?.announcedAt) this.playable.push([at, at - s.announcedAt]);
    });
    this.engine.on('piece', () => {});
    for (const s of this.window.values()) if (s.meta) this.engine.addSegment({ seq: s.seq, torrent: s.meta });
  }

  add(seg, announcedAt) {
    if (this.window.has(seg.seq)) return;
    let meta = null;
    if (seg.torrent) {
      try {
        meta = parseTorrent(seg.torrent, seg.infoHash);
      } catch {
        this.errors.signal++;
      }
    }
    this.window.set(seg.seq, { seq: seg.seq, duration: seg.duration, url: seg.url, infoHash: seg.infoHash, meta, announcedAt });
    if (meta) this.engine?.addSegment({ seq: seg.seq, torrent: meta });
  }

  wake() {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  /** The page's fill: one piece with an HTTP Range request to the box. */
  async fetchPiece(seq, i) {
    const s = this.window.get(seq);
    if (!s?.meta) throw new Error(`segment ${seq} is not in the window`);
    const start = i * s.meta.pieceLength;
    const end = Math.min(start + s.meta.pieceLength, s.meta.length) - 1;
    const t = Date.now();
    this.httpRequests++;
    const res = await fetch(new URL(s.url, this.boxUrl), { headers: { range: `bytes=${start}-${end}` }, signal: AbortSignal.timeout(10000) });
    const body = new Uint8Array(await res.arrayBuffer());
    this.httpRaw += body.byteLength;
    if (res.status !== 206 && res.status !== 200) {
      this.errors.http++;
      throw new Error(`HTTP ${res.status}`);
    }
    const piece = res.status === 200 ? body.subarray(start, end + 1) : body;
    const fill = (s.fill ||= { first: t, last: t, pieces: 0 });
    fill.last = Date.now();
    fill.pieces++;
    return piece;
  }

  /** Buffered media past the playhead, as the virtual player sees it. */
  bufferAheadS(now) {
    return this.player.dueAt === null ? 0 : Math.max(0, (this.player.dueAt - now) / 1000);
  }

  async nextSegment() {
    for (;;) {
      if (this.gone) return null;
      if (this.nextSeq !== null) {
        if (this.window.has(this.nextSeq)) return this.window.get(this.nextSeq);
        const later = [...this.window.keys()].filter((q) => q > this.nextSeq).sort((a, b) => a - b);
        if (later.length) {
          this.nextSeq = later[0]; // it left the window, or a gap: play on from the next one
          continue;
        }
      }
      await new Promise((r) => (this.waiting = r));
    }
  }

  async play() {
    while (!this.gone) {
      const s = await this.nextSegment();
      if (!s) return;
      const ok = s.meta ? await this.viaEngine(s) : await this.whole(s);
      if (this.gone) return;
      if (ok) this.player.complete(s.seq, s.duration, null, Date.now());
      if (this.nextSeq === s.seq) this.nextSeq = s.seq + 1;
    }
  }

  async viaEngine(s) {
    for (let tries = 0; tries < MAX_HTTP_TRIES && !this.gone; tries++) {
      const now = Date.now();
      const p2pHealthy = now - this.lastP2PAt < 20000 || this.httpOnly < 3;
      const deadlineMs = tries ? 0 : p2pWaitMs({ bufferAheadS: this.bufferAheadS(now), segmentS: s.duration, httpEstimateS: this.httpEstimateS, p2pHealthy });
      try {
        const r = await this.engine.getSegment(s.seq, { deadlineMs });
        if (r.p2pBytes + r.fromBoxBytes > 0) this.lastP2PAt = Date.now();
        if (r.httpBytes > 0 && s.fill) {
          const wholeS = ((s.fill.last - s.fill.first) / 1000) * (s.meta.length / r.httpBytes);
          this.httpEstimateS = Math.min(5, 0.7 * this.httpEstimateS + 0.3 * wholeS);
          if (r.p2pBytes + r.fromBoxBytes === 0) this.httpOnly++;
        }
        return true;
      } catch (e) {
        this.errors.getSegment++;
        if (e.code === 'removed' || e.code === 'unknown' || e.code === 'aborted') return false;
        // An HTTP error of one piece ends every wait for the segment: ask again, fill now.
      }
    }
    return false;
  }

  async whole(s) {
    try {
      const res = await fetch(new URL(s.url, this.boxUrl), { signal: AbortSignal.timeout(10000) });
      const body = await res.arrayBuffer();
      this.httpRaw += body.byteLength;
      this.httpWhole++;
      return res.ok;
    } catch {
      this.errors.http++;
      return false;
    }
  }

  report() {
    if (!this.engine || this.sig?.readyState !== 1) return;
    const b = this.engine.stats.bytes;
    const z = this.statsBase || { peer: 0, box: 0, http: 0, stalls: 0 };
    const f = this.player.figures(Date.now());
    // bytes_p2p: other viewers; bytes_http: all the box sent (HTTP and its WebRTC seeder).
    // statsMessage takes that as `boxEgressBytes` (`boxBytes` before the live mesh).
    const fromBox = b.http + b.box - z.http - z.box;
    this.sig.send(statsMessage({ p2pBytes: b.peer - z.peer, boxEgressBytes: fromBox, boxBytes: fromBox, r2Bytes: 0, peers: this.engine.snapshot().linksOpen,
      bufferS: this.bufferAheadS(Date.now()), latencyS: null, stalls: Math.max(0, f.stalls - z.stalls) }));
  }

  leave() {
    this.gone = true;
    this.leftAt = Date.now();
    this.last = this.figures(this.leftAt);
    clearInterval(this.statsTimer);
    this.sig?.close();
    this.engine?.destroy();
    this.wake();
  }

  figures(now) {
    if (this.gone && this.last) return this.last;
    const snap = this.engine ? this.engine.snapshot() : null;
    const b = snap?.bytes || { peer: 0, box: 0, http: 0 };
    const { playable: _, ...player } = this.player.figures(now);
    return {
      id: this.id,
      kind: 'engine',
      joinedAt: this.joinedAt,
      bytes: { peer: b.peer, seeder: b.box, http: b.http },
      httpRaw: this.httpRaw,
      httpWhole: this.httpWhole,
      httpRequests: this.httpRequests,
      sigBytes: this.sigBytes,
      swarmFromHello: this.swarmFromHello,
      engine: snap && { pcCreated: snap.peerConnectionsCreated, linksOpen: snap.linksOpen, boxLinks: snap.boxLinks, linksOpened: snap.linksOpened,
        linksClosed: snap.linksClosed, connecting: snap.connecting, uploadBytes: snap.uploadBytes, duplicateBytes: snap.duplicateBytes,
        hashFailures: snap.hashFailures, pushedBlocks: snap.pushedBlocks, requestsSent: snap.requestsSent, httpErrors: snap.httpErrors },
      errors: { ...this.errors },
      resumes: this.resumes,
      left: this.gone,
      leftAt: this.leftAt || null,
      ...player,
      playableAt: this.playable,
    };
  }
}

/** The worker: `count` viewers started `ENGINE_JOIN_MS` (default 100) apart. */
async function worker([signalUrl, boxUrl, countArg]) {
  const joinMs = Number(process.env.ENGINE_JOIN_MS || 100);
  const viewers = [];
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  let cpu0 = process.cpuUsage();
  let t0 = Date.now();
  const join = () => viewers.push(new EngineViewer({ signalUrl, boxUrl }));
  createInterface({ input: process.stdin }).on('line', (cmd) => {
    if (cmd === 'fig') {
      const c = process.cpuUsage(cpu0);
      const secs = (Date.now() - t0) / 1000;
      const proc = { pid: process.pid, cpuPct: (100 * (c.user + c.system)) / 1e6 / secs, lagP50Ms: lag.percentile(50) / 1e6, lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6, rssMB: process.memoryUsage().rss / 2 ** 20, warnings: Object.fromEntries([...warningTally].sort((a, b) => b[1] - a[1]).slice(0, 6)) };
      process.stdout.write(JSON.stringify({ proc, viewers: viewers.map((v) => v.figures(Date.now())) }) + '\n');
    } else if (cmd === 'mark') {
      // the measured period starts: CPU and event-loop delay from here
      cpu0 = process.cpuUsage();
      t0 = Date.now();
      lag.reset();
    } else if (cmd === 'leave') viewers.find((v) => !v.gone)?.leave();
    else if (cmd === 'join') join();
    else if (cmd === 'quit') {
      for (const v of viewers) if (!v.gone) v.leave();
      setTimeout(() => process.exit(0), 500);
    }
  });
  for (let i = 0; i < Number(countArg); i++) {
    join();
    await new Promise((r) => setTimeout(r, joinMs));
  }
  process.stdout.write('ready\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) worker(process.argv.slice(2));
