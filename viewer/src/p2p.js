// The webtorrent side: one client for the page, one torrent per segment (the torrent from
// signaling, announced to the box's tracker), bytes attributed to the box's seeder or to other
// viewers, HTTP-fetched pieces handed back so this viewer seeds them too, release on eviction.
import { installPolyfills } from './polyfills.js';
import { SegmentStore } from './store.js';
import { bareTorrent, metaOf } from './torrent-meta.js';

/** Hex of the peer-id prefix the box's seeder uses (`-VB`). */
const SEEDER_PREFIX_HEX = '2d5642';
/** Peer connections per segment torrent. */
const MAX_CONNS_PER_TORRENT = 6;

/** Loads webtorrent and starts a client; resolves to a P2P handle. */
export async function startP2P({ tracker, stats }) {
  installPolyfills();
  const { default: WebTorrent } = await import('webtorrent/dist/webtorrent.min.js');
  const client = new WebTorrent({
    dht: false,
    lsd: false,
    utPex: false,
    webSeeds: false,
    natUpnp: false,
    natPmp: false,
    maxConns: MAX_CONNS_PER_TORRENT,
    tracker: { rtcConfig: { iceServers: [] } },
  });
  client.on('error', (e) => console.warn('webtorrent:', e.message || e));
  return new P2P(client, tracker, stats);
}

class P2P {
  constructor(client, tracker, stats) {
    this.client = client;
    this.tracker = tracker;
    this.stats = stats;
    this.torrents = new Map(); // name -> torrent
    this.lastPeerByteAt = 0;
  }

  /** The torrent of `seg`, added (and announced) on first use. */
  torrentFor(seg) {
    let t = this.torrents.get(seg.name);
    if (t && !t.destroyed) return t;
    t = this.client.add(bareTorrent(metaOf(seg)), {
      announce: this.tracker ? [this.tracker] : [],
      store: SegmentStore,
      storeCacheSlots: 0,
    });
    t.on('wire', (wire) => this.watchWire(wire));
    t.on('error', (e) => console.warn(`torrent ${seg.name}:`, e.message || e));
    t.on('upload', (n) => (this.stats.uploadBytes += n));
    this.torrents.set(seg.name, t);
    return t;
  }

  watchWire(wire) {
    const source = String(wire.peerId || '').startsWith(SEEDER_PREFIX_HEX) ? 'seeder' : 'peer';
    wire.on('download', (n) => {
      this.stats.add(source, n);
      this.lastPeerByteAt = performance.now();
    });
  }

  /** Verified pieces webtorrent holds for `t`, as Map index -> bytes. */
  piecesOf(t) {
    const out = new Map();
    const raw = t.ready && t.store ? rawStore(t.store) : null;
    if (!raw) return out;
    for (let i = 0; i < t.pieces.length; i++) {
      if (t.bitfield.get(i) && raw.chunks[i]) out.set(i, raw.chunks[i]);
    }
    return out;
  }

  /** Hands HTTP-fetched, verified pieces to webtorrent so it announces and serves them. */
  inject(t, pieces) {
    if (t.destroyed || typeof t._markVerified !== 'function') return;
    if (!t.ready) return t.once('ready', () => this.inject(t, pieces));
    for (const [i, buf] of pieces) {
      if (t.bitfield.get(i)) continue;
      t.store.put(i, buf, (err) => {
        if (err || t.destroyed || t.bitfield.get(i)) return;
        t.pieces[i] = null;
        t._markVerified(i);
        t.wires.forEach((w) => w.have(i));
        t._checkDone();
      });
    }
  }

  /** Distinct peers connected across all segment torrents. */
  peerCount() {
    const ids = new Set();
    for (const t of this.torrents.values()) for (const w of t.wires) if (w.peerId) ids.add(w.peerId);
    return ids.size;
  }

  /** Whether peers delivered bytes within `ms`. */
  recentlyDelivered(ms) {
    return performance.now() - this.lastPeerByteAt < ms;
  }

  /** Destroys the torrents of segments not in `keep` (a Set of names), freeing their pieces. */
  release(keep) {
    for (const [name, t] of this.torrents) {
      if (keep.has(name)) continue;
      this.torrents.delete(name);
      t.destroy({ destroyStore: true });
    }
  }
}

function rawStore(store) {
  // webtorrent wraps the store in an ImmediateChunkStore (`.store`) for pieces being written.
  let s = store;
  while (s && !(s instanceof SegmentStore)) s = s.store;
  return s;
}
