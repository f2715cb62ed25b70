// The page's side of the live mesh (docs/LIVE-MESH.md): one MeshEngine for the session (the
// stream swarm from signaling's hello, the tracker it names, the browser's RTCPeerConnection),
// fed every announced segment and removal; segments come out of it for the fragment loader;
// its pieces missing at the deadline are filled with verified HTTP Range requests (box, then
// R2); its byte counters move into the page's Stats. DOM-free: Node tests run it as it is.
import { MeshEngine } from './mesh/engine.js';
import { metaOf } from './torrent-meta.js';
import { fetchPieces, missingRuns } from './pieces.js';
import { httpSources } from './segment-fetch.js';
import { toHex } from './sha1.js';

/** The viewer's peer-id prefix (Azureus style); the box's seeder uses `-VB`. */
export const PEER_ID_PREFIX = '-VW0001-';

/** A fresh peer id for the session: the prefix and 12 random bytes, as 40 hex digits. */
export function newPeerId(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const prefix = new TextEncoder().encode(PEER_ID_PREFIX);
  const id = new Uint8Array(20);
  id.set(prefix);
  id.set(random(20 - prefix.length), prefix.length);
  return toHex(id);
}

const aborted = () => Object.assign(new Error('aborted'), { name: 'AbortError', code: 'aborted' });

export class MeshSession {
  /**
   * `swarm`: hello's `{infoHash, neighbours}`; `trackerUrl`; `RTCPeerConnection`: the (counted)
   * constructor, or none (links only through `engine.addChannel`); `stats`: the page's Stats;
   * `baseUrl`: the page's, for box URLs; `Engine`/`engineOpts`: for tests.
   */
  constructor({ swarm, trackerUrl, RTCPeerConnection, stats, baseUrl, peerId = newPeerId(), Engine = MeshEngine, engineOpts = {} }) {
    Object.assign(this, { swarm, trackerUrl, stats, baseUrl });
    this.bySeq = new Map(); // seq -> the window segment the engine holds under it
    this.fills = new Map(); // seq -> {pieces, ms}: the engine's HTTP fill of a segment
    this.seen = { peer: 0, box: 0, upload: 0 };
    this.lastMeshByteAt = -Infinity;
    this.counted = new Set(); // seqs already classified in stats.segments
    this.engine = new Engine({
      RTCPeerConnection,
      trackerUrl: RTCPeerConnection ? trackerUrl : null,
      infoHash: swarm.infoHash,
      neighbours: swarm.neighbours,
      peerId,
      rtcConfig: { iceServers: [] },
      fetchPiece: (seq, i) => this.fetchPiece(seq, i),
      ...engineOpts,
    });
    this.engine.on('piece', () => this.sync());
    this.engine.on('warning', (e) => console.warn('mesh:', e?.message || e));
  }

  get peerId() {
    return this.engine.peerId;
  }

  /** Whether this session serves hello's `swarm` with `trackerUrl` (else the page makes a new one). */
  matches(swarm, trackerUrl) {
    return swarm?.infoHash === this.swarm.infoHash && swarm.neighbours === this.swarm.neighbours && trackerUrl === this.trackerUrl;
  }

  /** Adds an announced segment (with a torrent); a seq reused with another torrent replaces it. */
  addSegment(seg) {
    if (!seg.torrent) return;
    const prev = this.bySeq.get(seg.seq);
    if (prev && prev.infoHash === seg.infoHash) return void this.bySeq.set(seg.seq, seg);
    if (prev) this.removeSeq(seg.seq);
    try {
      this.engine.addSegment({ seq: seg.seq, torrent: metaOf(seg) });
      this.bySeq.set(seg.seq, seg);
    } catch (e) {
      console.warn(`mesh: segment ${seg.name} not added: ${e.message}`);
    }
  }

  /** Makes the engine's window the page's: `segments` (the SegmentWindow's) are added, others removed. */
  keep(segments) {
    const want = new Map(segments.filter((s) => s.torrent).map((s) => [s.seq, s]));
    for (const [seq, s] of this.bySeq) if (want.get(seq)?.infoHash !== s.infoHash) this.removeSeq(seq);
    for (const s of want.values()) this.addSegment(s);
  }

  removeSeq(seq) {
    this.bySeq.delete(seq);
    this.fills.delete(seq);
    this.engine.removeSegment(seq);
  }

  /** Whether the engine holds `seg` (same torrent). */
  holds(seg) {
    return !!seg.torrent && this.bySeq.get(seg.seq)?.infoHash === seg.infoHash;
  }

  /**
   * The segment's bytes: from the mesh until `waitMs`, then the missing pieces over HTTP (the
   * engine staggers them). With nothing to wait for (an empty buffer: start-up, after a stall)
   * or no neighbour, the missing pieces are fetched at once, in runs, and seeded into the mesh.
   */
  async getSegment(seg, { waitMs, signal }) {
    const meta = metaOf(seg);
    const count = meta.hashes.length;
    let direct = null;
    const held = this.engine.segments.get(seg.seq);
    if (held && !held.complete && (waitMs <= 0 || this.engine.snapshot().linksOpen === 0)) {
      direct = await this.fillNow(seg, held, signal);
    }
    if (signal?.aborted) throw aborted();
    const r = await this.engine.getSegment(seg.seq, { deadlineMs: waitMs, signal });
    this.sync();
    const meshBytes = r.p2pBytes + r.fromBoxBytes;
    const httpBytes = r.httpBytes + r.ownBytes;
    const p2pPieces = Math.round((count * meshBytes) / Math.max(1, meshBytes + httpBytes));
    if (!this.counted.has(seg.seq)) {
      this.counted.add(seg.seq);
      if (this.counted.size > 256) this.counted.delete(this.counted.values().next().value);
      this.stats.segments[httpBytes === 0 ? 'p2pOnly' : meshBytes === 0 ? 'httpOnly' : 'mixed']++;
    }
    // Only runs fetched at once feed the HTTP estimate (a staggered fill is slower on purpose).
    return { data: r.data, count, p2pPieces, httpPieces: count - p2pPieces, httpRun: direct, meshBytes, httpBytes };
  }

  /** Fetches the missing pieces of `seg` now, in runs, and seeds them; {pieces, ms}. */
  async fillNow(seg, held, signal) {
    const started = performance.now();
    const meta = metaOf(seg);
    const runs = missingRuns(meta.hashes.length, (i) => held.has(i) || held.fetching.has(i));
    if (!runs.length) return null;
    const got = await fetchPieces(meta, runs, httpSources(seg, this.baseUrl), { signal, onBytes: (name, n) => this.stats.add(name, n) });
    let pieces = 0;
    for (const [i, p] of got) if (this.engine.seedPiece(seg.seq, i, p)) pieces++;
    return { pieces, ms: performance.now() - started };
  }

  /** The engine's HTTP fill: one piece with a Range request, box then R2 (verified by pieces.js and the engine). */
  async fetchPiece(seq, i) {
    const seg = this.bySeq.get(seq);
    if (!seg) throw new Error(`segment ${seq} is not in the window`);
    const started = performance.now();
    const got = await fetchPieces(metaOf(seg), [[i, i]], httpSources(seg, this.baseUrl), { onBytes: (name, n) => this.stats.add(name, n) });
    const f = this.fills.get(seq) || { pieces: 0, ms: 0 };
    f.pieces++;
    f.ms = Math.max(f.ms, performance.now() - started);
    this.fills.set(seq, f);
    return got.get(i);
  }

  /** Moves the engine's new bytes (other viewers, the box's seeder, upload) into the page's Stats. */
  sync() {
    const s = this.engine.snapshot();
    const d = { peer: s.bytes.peer - this.seen.peer, box: s.bytes.box - this.seen.box, upload: s.uploadBytes - this.seen.upload };
    if (d.peer > 0) this.stats.add('peer', d.peer);
    if (d.box > 0) this.stats.add('seeder', d.box);
    if (d.upload > 0) this.stats.uploadBytes += d.upload;
    if (d.peer > 0 || d.box > 0) this.lastMeshByteAt = performance.now();
    this.seen = { peer: s.bytes.peer, box: s.bytes.box, upload: s.uploadBytes };
    return s;
  }

  /** Whether the mesh (other viewers or the box's seeder) delivered bytes within `ms`. */
  recentlyDelivered(ms) {
    return performance.now() - this.lastMeshByteAt < ms;
  }

  /** The engine's figures for the overlay and tests. */
  figures() {
    const s = this.sync();
    return {
      linksOpen: s.linksOpen,
      boxLinks: s.boxLinks,
      linksOpened: s.linksOpened,
      linksClosed: s.linksClosed,
      tries: s.tries,
      enginePeerConnections: s.peerConnectionsCreated,
      duplicateBytes: s.duplicateBytes,
      hashFailures: s.hashFailures,
      pushedBlocks: s.pushedBlocks,
      httpErrors: s.httpErrors,
    };
  }

  destroy() {
    this.sync();
    this.engine.destroy();
  }
}
