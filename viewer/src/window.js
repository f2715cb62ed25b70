// The segments signaling announced, by name, bounded to the newest few; the segments kept are
// the mesh engine's window (a segment leaving it is removed from the mesh, its pieces freed).

/** Segments kept (and in the mesh): about 20 s of 2 s segments, beyond the ~3 played behind live. */
export const KEEP = 10;

/** Announced segments, newest `KEEP` by sequence. */
export class SegmentWindow {
  constructor(keep = KEEP) {
    this.keep = keep;
    this.byName = new Map();
    this.newest = null;
  }

  /** Replaces the contents with a hello's segments (torrents already parsed are reused). */
  reset(segments) {
    const old = this.byName;
    this.byName = new Map();
    this.newest = null;
    for (const s of segments) {
      const prev = old.get(s.name);
      this.add(prev && prev.infoHash === s.infoHash ? prev : s);
    }
  }

  /** Adds one announced segment and drops the oldest beyond the bound. */
  add(seg) {
    this.byName.set(seg.name, seg);
    if (!this.newest || seg.seq >= this.newest.seq) this.newest = seg;
    if (this.byName.size <= this.keep) return;
    const bySeq = [...this.byName.values()].sort((a, b) => b.seq - a.seq);
    for (const s of bySeq.slice(this.keep)) this.byName.delete(s.name);
  }

  /** Drops a segment the box removed from its window. */
  remove(name) {
    this.byName.delete(name);
    if (this.newest?.name === name) this.newest = null;
  }

  /** The segment a URL names (its last path component), if announced. */
  forUrl(url) {
    const path = new URL(url).pathname;
    return this.byName.get(path.slice(path.lastIndexOf('/') + 1)) || null;
  }

  /** Names currently kept. */
  names() {
    return new Set(this.byName.keys());
  }

  /** Segments currently kept. */
  segments() {
    return [...this.byName.values()];
  }
}
