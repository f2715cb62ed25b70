// The viewer's figures: bytes by source (other viewers, the box's WebRTC seeder, box HTTP, R2),
// upload, stalls, the mesh's links and peer connections; the snapshot feeds the overlay, the
// stats message sent to the box and `window.venuebox.stats()` (browser tests, benchmarks).
// P2P means other viewers only: bytes from the box's seeder are box egress like its HTTP.

/** Counters for one viewer session. */
export class Stats {
  constructor() {
    this.bytes = { peer: 0, seeder: 0, box: 0, r2: 0 };
    this.uploadBytes = 0;
    this.stalls = 0;
    this.stallMs = 0;
    this.stallStart = null;
    this.longestStallMs = 0;
    this.startupMs = null;
    this.segments = { p2pOnly: 0, mixed: 0, httpOnly: 0 };
    this.mode = 'starting';
  }

  /** Counts `n` bytes received from `source` ('peer', 'seeder', 'box' or 'r2'). */
  add(source, n) {
    this.bytes[source] += n;
  }

  stallBegan(now) {
    if (this.stallStart !== null) return;
    this.stallStart = now;
    this.stalls++;
  }

  stallEnded(now) {
    if (this.stallStart === null) return;
    const ms = now - this.stallStart;
    this.stallMs += ms;
    this.longestStallMs = Math.max(this.longestStallMs, ms);
    this.stallStart = null;
  }

  /** Figures at `now`; `live` supplies peers, buffer, latency and the mesh's figures. */
  snapshot(now, live) {
    const p2p = this.bytes.peer;
    const total = p2p + this.bytes.seeder + this.bytes.box + this.bytes.r2;
    const ongoing = this.stallStart === null ? 0 : now - this.stallStart;
    return {
      mode: this.mode,
      p2pBytes: p2p,
      peerBytes: this.bytes.peer,
      seederBytes: this.bytes.seeder,
      boxBytes: this.bytes.box,
      r2Bytes: this.bytes.r2,
      boxEgressBytes: this.bytes.seeder + this.bytes.box,
      uploadBytes: this.uploadBytes,
      p2pShare: total ? round(p2p / total, 3) : 0,
      peers: live.peers,
      boxLinks: live.boxLinks ?? 0,
      peerConnectionsCreated: live.peerConnectionsCreated ?? 0,
      peerConnectionsOpen: live.peerConnectionsOpen ?? 0,
      mesh: live.mesh ?? null,
      bufferS: round(live.bufferS, 2),
      latencyS: live.latencyS === null ? null : round(live.latencyS, 2),
      stalls: this.stalls,
      stallS: round((this.stallMs + ongoing) / 1000, 2),
      longestStallS: round(Math.max(this.longestStallMs, ongoing) / 1000, 2),
      startupS: this.startupMs === null ? null : round(this.startupMs / 1000, 2),
      segments: { ...this.segments },
    };
  }
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
